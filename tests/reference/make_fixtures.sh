#!/usr/bin/env bash
# Writes every reference fixture into OUT_DIR by running HuggingFace / sentence-transformers /
# scikit-learn (see tests/reference/requirements.txt). Usage: make_fixtures.sh OUT_DIR [PYTHON]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: make_fixtures.sh OUT_DIR [PYTHON]}
python=${2:-python3}
shared=${SIMSCORE_SHARED:-$here/../../../shared}
mkdir -p "$out"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
"$python" "$here/make_metric_fixtures.py" --out "$out"
"$python" "$here/make_cross768_fixture.py" --out "$out"
if [[ -d $shared ]]; then
  "$python" "$here/make_model_fixtures.py" --shared "$shared" --out "$out"
  "$python" "$here/make_tokenizer_fixtures.py" --shared "$shared" --out "$out"
  "$python" "$here/make_tokenizer_settings_fixtures.py" --shared "$shared" --out "$out"
  "$python" "$here/make_sentencepiece_fixtures.py" --shared "$shared" --out "$out"
  "$python" "$here/make_structbert_fixtures.py" --shared "$shared" --out "$out"
else
  echo "make_fixtures: $shared is absent: the model and tokenizer fixtures, made from its data," \
       "are skipped, and so are the tests that use them"
fi
