#!/usr/bin/env bash
# Runs every test from a fresh clone: installs the build and reference dependencies, fetches the
# default model, builds, writes the reference fixtures, and runs the suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}

scripts/install_deps.sh --test
scripts/fetch_default_model.sh
scripts/fetch_chinese_model.sh .venv/bin/python
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j "$(nproc)"
tests/reference/make_fixtures.sh "$build/fixtures" .venv/bin/python
# With the shared data beside the checkout (as in CI) every fixture must exist: a missing one fails
# its test instead of skipping it.
if [[ -d ${SIMSCORE_SHARED:-../shared} ]]; then
  export SIMSCORE_REQUIRE_FIXTURES=1
else
  echo "test.sh: ../shared is absent: tests that need its data are skipped"
fi
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
# The same suite built with clang under AddressSanitizer + UndefinedBehaviorSanitizer (any report
# fails), then every libFuzzer target for FUZZ_SECONDS (60) each, seeded from ../shared.
SIMSCORE_FIXTURES="$build/fixtures" scripts/sanitize.sh
if [[ -d ${SIMSCORE_SHARED:-../shared} ]]; then
  scripts/fuzz.sh
fi
