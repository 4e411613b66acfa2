#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) in build-fuzz, writes their
# seed corpora from ../shared, and runs each target for a bounded time. Exits non-zero when any
# target crashes, leaks, times out on one input or breaks an invariant; the input that did it is
# saved as build-fuzz/fuzz/crashes/<target>-crash-<hash>. Prints the executions of every target.
#
#   FUZZ_SECONDS   time per target (default 60)
#   FUZZ_SEED      libFuzzer's -seed (default 0: a new one each run). The test command fixes it, so
#                  that CI walks the same inputs on every run and fails only on a regression;
#                  explore with the default and longer times, and commit what it finds as tests
#   FUZZ_TARGETS   targets to run (default: every target the build has)
#   FUZZ_BUILD_DIR build folder (default build-fuzz); its fuzz/corpus/ grows from run to run
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FUZZ_BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
shared=${SIMSCORE_SHARED:-$(cd .. && pwd)/shared}

if [[ ! -d $shared ]]; then
  echo "fuzz.sh: $shared is absent: the seed corpora and the tokenizer target need it" >&2
  exit 1
fi
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSIMSCORE_FUZZ=ON -DSIMSCORE_BUILD_TESTS=OFF -DSIMSCORE_SHARED="$shared" >/dev/null
available=()
for source in tests/fuzz/*_fuzz.cc; do
  name=$(basename "$source" _fuzz.cc)
  # A target whose library part is not there yet (see tests/fuzz/CMakeLists.txt) is not built.
  ninja -C "$build" -t query "tests/fuzz/fuzz_$name" >/dev/null 2>&1 && available+=("$name")
done
read -r -a targets <<<"${FUZZ_TARGETS:-${available[*]}}"
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

rm -rf "$build/fuzz/seeds"
python3 tests/fuzz/make_corpus.py --shared "$shared" --out "$build/fuzz/seeds"
mkdir -p "$build/fuzz/crashes"
export SIMSCORE_SHARED=$shared
# halt_on_error: the first report ends the run; libFuzzer's -error_exitcode then fails it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# The targets write each input to a file (the readers take paths): keep those in memory, in a folder
# removed at the end even when a crash skips the targets' own clean-up.
scratch_root=${FUZZ_TMPDIR:-/dev/shm}
[[ -w $scratch_root ]] || scratch_root=/tmp
TMPDIR=$(mktemp -d "$scratch_root/simscore-fuzz.XXXXXX")
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT

failed=()
summary=()
for target in "${targets[@]}"; do
  corpus="$build/fuzz/corpus/$target"
  seeds="$build/fuzz/seeds/$target"
  mkdir -p "$corpus" "$seeds"
  log="$build/fuzz/$target.log"
  echo "fuzz.sh: $target for ${seconds}s"
  dict=()
  [[ -f tests/fuzz/$target.dict ]] && dict=(-dict="tests/fuzz/$target.dict")
  status=0
  "$build/tests/fuzz/fuzz_$target" "$corpus" "$seeds" "${dict[@]}" -max_total_time="$seconds" \
    -seed="${FUZZ_SEED:-0}" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 -close_fd_mask=1 \
    -artifact_prefix="$build/fuzz/crashes/$target-" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  summary+=("$(printf '%-18s %10s executions %8s/s  %s' "$target" "${runs:-?}" "${rate:-?}" \
    "$([[ $status == 0 ]] && echo ok || echo "FAILED (exit $status)")")")
  if [[ $status != 0 ]]; then
    failed+=("$target")
    grep -E -A30 "ERROR: |invariant failed|runtime error|deadly signal|uncaught exception|terminate called" \
      "$log" | head -60 >&2 || tail -40 "$log" >&2
  fi
done
echo "fuzz.sh: executions per target (${seconds}s each)"
printf '  %s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzz.sh: ${failed[*]} failed; reproduce with $build/tests/fuzz/fuzz_<target> <file in $build/fuzz/crashes>" >&2
  exit 1
fi
