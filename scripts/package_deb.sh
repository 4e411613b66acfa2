#!/usr/bin/env bash
# Builds the Debian package, simscore_VERSION_amd64.deb, with the default model inside: a portable
# release build (the binary runs on any x86-64-v2 CPU), the model from scripts/fetch_default_model.sh,
# then CPack. Prints the package's path.
#
# usage: scripts/package_deb.sh [BUILD_DIR]   (default build-deb; an existing build folder is reused)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-deb}

scripts/fetch_default_model.sh >&2
if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIMSCORE_BUILD_TESTS=OFF \
    -DSIMSCORE_BUILD_BENCH=OFF >&2
fi
if grep -q "^SIMSCORE_NATIVE:BOOL=ON" "$build/CMakeCache.txt"; then
  echo "package_deb.sh: $build is a -march=native build; a package must be portable" >&2
  exit 1
fi
cmake --build "$build" -j "$(nproc)" --target simscore simscore_manual >&2
(cd "$build" && cpack -G DEB >&2)
ls -t "$build"/simscore_*_amd64.deb | head -1 | xargs readlink -f
