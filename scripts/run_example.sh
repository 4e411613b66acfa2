#!/usr/bin/env bash
# The main job end to end on a fresh machine: install, build, fetch the default model, and score the
# example pairs (one score per row, in input order, on stdout).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIMSCORE_BUILD_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" --target simscore
scripts/fetch_default_model.sh
build/cli/simscore score examples/pairs.tsv --verbose
