#!/usr/bin/env bash
# Runs every test from a fresh clone: installs the build and reference dependencies, fetches the
# default model, builds, writes the reference fixtures, and runs the suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}

scripts/install_deps.sh --test
scripts/fetch_default_model.sh
scripts/fetch_chinese_model.sh .venv/bin/python
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIMSCORE_BUILD_TESTS=ON
cmake --build "$build" -j "$(nproc)"
tests/reference/make_fixtures.sh "$build/fixtures" .venv/bin/python
# A fresh machine gets only what scripts/install_deps.sh installs: every package whose files the
# build found must be listed there (or be a hard dependency of a listed one).
if [[ -x ../shared/tools/check-deps-declared.sh ]]; then
  ../shared/tools/check-deps-declared.sh "$build"
fi
# With the shared data beside the checkout (as in CI) every fixture must exist: a missing one fails
# its test instead of skipping it.
if [[ -d ${SIMSCORE_SHARED:-../shared} ]]; then
  export SIMSCORE_REQUIRE_FIXTURES=1
else
  echo "test.sh: ../shared is absent: tests that need its data are skipped"
fi
log=$(mktemp)
set -o pipefail
# The fault-injection tests run as root and aim outputs at devices and links (test-made ones under a
# temporary directory): the machine's own must be exactly as they were afterwards.
device_nodes() { stat -c '%n %F %t:%T %a %N' /dev/null /dev/full /dev/stdout /dev/stderr; }
devices_before=$(device_nodes)
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" | tee "$log"
if [[ $(device_nodes) != "$devices_before" ]]; then
  echo "test.sh: the suite changed the system's device nodes:"
  diff <(echo "$devices_before") <(device_nodes) || true
  exit 1
fi
# The Debian package, installed as a user would and run from an unrelated directory (root only:
# apt-get installs it, and the test removes it again).
if [[ $(id -u) -eq 0 && -z ${SIMSCORE_SKIP_DEB_TEST:-} ]]; then
  package=$(scripts/package_deb.sh "$build")
  tests/build/deb_install_test.sh "$package" "$build/cli/simscore" . | tee -a "$log"
fi
# The same suite built with clang under AddressSanitizer + UndefinedBehaviorSanitizer (any report
# fails), then every libFuzzer target for FUZZ_SECONDS each, seeded from ../shared, with a fixed
# random seed (exploring belongs to scripts/fuzz.sh run by hand). The e2e tests and the tests that
# run whole data sets (every row of every shared file through the tokenizers; STS-B and LCQMC
# through the real models at fp32, fp16, int8 and bf16) cost over half an hour of CPU under ASan and
# exercise no code the unit tests, the tiny reference models and the fuzzers do not; they run once,
# above. The reruns under each lower instruction-set class (isa.*) leave the sanitizer run too:
# cpu_isa_test already runs every variant of simscore's own kernels there, and the rest of what a
# cap changes is oneDNN's uninstrumented code.
whole_data='^e2e\.|^isa\.|EveryRowOfEveryDataFile|MultilingualE5\.Lcqmc|Precision/MiniLM\.|MiniLMInt8\.|MiniLMBf16\.'
SIMSCORE_FIXTURES="$build/fixtures" SANITIZE_CTEST_ARGS=${SANITIZE_CTEST_ARGS:-"-E $whole_data"} \
  scripts/sanitize.sh | tee -a "$log"
if [[ -d ${SIMSCORE_SHARED:-../shared} ]]; then
  FUZZ_SECONDS=${FUZZ_SECONDS:-45} FUZZ_SEED=${FUZZ_SEED:-1} scripts/fuzz.sh
fi
# The suites' closing lines, together at the end.
grep -E "tests passed|tests failed" "$log"
