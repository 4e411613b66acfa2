#!/usr/bin/env bash
# Builds everything with clang under AddressSanitizer + UndefinedBehaviorSanitizer in build-asan and
# runs the whole ctest suite there, against the fixtures the main build already wrote. Any report
# fails the test that triggered it.
#
#   SANITIZE_BUILD_DIR  build folder (default build-asan)
#   SIMSCORE_FIXTURES   reference fixtures (default build/fixtures; scripts/test.sh passes its own)
#   SANITIZE_CTEST_ARGS extra ctest arguments (default none: the whole suite)
#
# OpenMP: clang's -fopenmp builds against LLVM's libomp (libomp-dev), not GCC's libgomp. OpenBLAS
# (its OpenMP build) and oneDNN link libgomp, but libomp implements libgomp's GOMP_* entry points
# and comes first in the link, so every parallel region runs on the one libomp pool (checked with
# LD_DEBUG=bindings) instead of two runtimes whose uninstrumented thread pools the sanitizers
# would see mixed. No report has come from the runtime itself.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${SANITIZE_BUILD_DIR:-build-asan}
fixtures=$(realpath -m "${SIMSCORE_FIXTURES:-build/fixtures}")

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSIMSCORE_SANITIZE=ON -DSIMSCORE_FIXTURES="$fixtures" >/dev/null
cmake --build "$build" -j "$(nproc)"

# halt_on_error + -fno-sanitize-recover=all (CMakeLists.txt): the first report aborts the process,
# so the test fails; leaks are reported at exit and fail it too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export SIMSCORE_FIXTURES=$fixtures
# SANITIZE_CTEST_ARGS narrows the run when time is short, e.g. "-E ^e2e\." (the e2e tests score
# whole data sets through the CLI, which under ASan is the slowest part of the suite).
read -r -a extra <<<"${SANITIZE_CTEST_ARGS:-}"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "${extra[@]}"
