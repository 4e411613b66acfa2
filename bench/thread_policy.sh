#!/usr/bin/env bash
# How libgomp's wait policy and the thread count change wall time, on a quiet machine and on one
# where another process keeps a core busy (a Spark worker, a build, a second job). The same
# simscore binary, input and model in every run; the configurations alternate, and each is run
# REPEAT times, of which the median wall time is printed.
#
# usage: bench/thread_policy.sh [SIMSCORE] [ROWS] [REPEAT]
#   SIMSCORE default build/cli/simscore, ROWS default 400 LCQMC test rows, REPEAT default 3
set -euo pipefail
cd "$(dirname "$0")/.."
simscore=${1:-build/cli/simscore}
rows=${2:-400}
repeat=${3:-3}
data=${SIMSCORE_SHARED:-../shared}/data/senteval_cn/LCQMC/LCQMC.test.data
model=${SIMSCORE_MODEL:-models/all-MiniLM-L6-v2}
work=$(mktemp -d)
hog=""
trap '[[ -n $hog ]] && kill $hog 2>/dev/null; rm -rf "$work"' EXIT
head -n "$rows" "$data" >"$work/pairs.tsv"

# name | environment | threads
configs=(
  "2 threads, libgomp's default (spin 300000)|GOMP_SPINCOUNT=300000|2"
  "2 threads, OMP_WAIT_POLICY=passive|OMP_WAIT_POLICY=passive|2"
  "2 threads, OMP_WAIT_POLICY=active|OMP_WAIT_POLICY=active|2"
  "1 thread|OMP_WAIT_POLICY=passive|1"
)

run_all() {
  local label=$1
  declare -A times=()
  for ((r = 0; r < repeat; r++)); do
    for config in "${configs[@]}"; do
      IFS='|' read -r name environment threads <<<"$config"
      start=$(date +%s.%N)
      env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT "$environment" "$simscore" score "$work/pairs.tsv" --model "$model" --quiet \
        --threads "$threads" >/dev/null
      end=$(date +%s.%N)
      times[$name]+="$(echo "$end - $start" | bc) "
    done
  done
  for config in "${configs[@]}"; do
    IFS='|' read -r name _ _ <<<"$config"
    median=$(tr ' ' '\n' <<<"${times[$name]}" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    printf '%-8s %-40s %6.2f s  (runs: %s)\n' "$label" "$name" "$median" "${times[$name]}"
  done
}

echo "simscore score, $rows LCQMC test rows, $model, median of $repeat; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
run_all quiet
python3 -c 'while True: pass' &
hog=$!
run_all busy
