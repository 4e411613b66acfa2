#!/usr/bin/env bash
# Peak memory of the ModelScope case: a StructBERT-large-shaped model (24 layers, hidden 1024,
# 16 heads, FFN 4096, vocab 21128; random weights) shipped as an fp32 pytorch_model.bin, loaded at
# --precision fp16 and scoring LCQMC test. The fp32 checkpoint (1.3 GB) must never sit whole in
# memory: peak RSS is to stay under 720 MiB. Not part of CI (writing the model takes minutes).
#
#   bench/structbert_memory.sh [BUILD_DIR] [MODEL_DIR] [PAIRS] [SCORE OPTIONS...]
#
# BUILD_DIR defaults to build/, MODEL_DIR (written once by tests/reference/make_structbert_fixtures.py
# --large) to build/bench/structbert-large, PAIRS (0 = all 12,500) to the first N LCQMC test pairs;
# further arguments go to `simscore score` (e.g. --max-batch-tokens 1024). The weights alone are
# 621.5 MiB in fp16; `simscore inspect` shows what the activation arena adds for a batch size.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
model=${2:-$root/build/bench/structbert-large}
limit=${3:-0}
shift $(($# < 3 ? $# : 3))
shared=${SIMSCORE_SHARED:-$root/../shared}
python=${PYTHON:-python3}
budget_mib=720

if [[ ! -f $model/pytorch_model.bin ]]; then
  echo "writing $model (fp32, about 1.3 GB)..." >&2
  "$python" "$root/tests/reference/make_structbert_fixtures.py" --shared "$shared" --large "$model"
fi
pairs=$shared/data/senteval_cn/LCQMC/LCQMC.test.data
if ((limit > 0)); then
  head -n "$limit" "$pairs" > "$model.pairs.tsv"
  pairs=$model.pairs.tsv
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
/usr/bin/time -v "$build/cli/simscore" score "$pairs" --model "$model" --precision fp16 -v "$@" \
  > /dev/null 2> "$log" || { cat "$log" >&2; exit 1; }
seconds=$(($(date +%s) - start))
grep -E '^(weights|encoder|gemm kernel|threads)' "$log" >&2 || true
kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
mib=$((kib / 1024))
rows=$(wc -l < "$pairs")
echo "structbert-large fp32 .bin at fp16 ${*:-}: $rows pairs in ${seconds}s, peak RSS $mib MiB (budget $budget_mib MiB)"
((mib < budget_mib))
