#!/usr/bin/env bash
# What the portable build costs against -march=native, end to end: the same input, model and
# threads through both binaries, alternating, REPEAT times each; prints the median wall time of each
# and their ratio. Build the two first:
#   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release                       # portable (default)
#   cmake -S . -B build-native -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIMSCORE_NATIVE=ON
#
# usage: bench/portable_cost.sh PORTABLE NATIVE [ROWS] [REPEAT] [extra simscore flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
portable=$1
native=$2
rows=${3:-2000}
repeat=${4:-5}
shift $(($# < 4 ? $# : 4))
data=${SIMSCORE_SHARED:-../shared}/data/senteval_cn/LCQMC/LCQMC.test.data
model=${SIMSCORE_MODEL:-models/all-MiniLM-L6-v2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -n "$rows" "$data" >"$work/pairs.tsv"

declare -A times=()
for ((r = 0; r < repeat; r++)); do
  for name in portable native; do
    binary=${!name}
    start=$(date +%s.%N)
    "$binary" score "$work/pairs.tsv" --model "$model" --quiet "$@" >"$work/$name.tsv"
    end=$(date +%s.%N)
    times[$name]+="$(echo "$end - $start" | bc) "
  done
done
cmp -s "$work/portable.tsv" "$work/native.tsv" && same="identical" || same="different (kernels of another ISA)"
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
p=$(median "${times[portable]}")
n=$(median "${times[native]}")
echo "$rows LCQMC rows, $model, $* median of $repeat; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "portable $p s   (runs: ${times[portable]})"
echo "native   $n s   (runs: ${times[native]})"
echo "portable / native: $(echo "scale=3; $p / $n" | bc); scores $same"
