#!/usr/bin/env bash
# Scores a TSV pair file with JOBS simscore processes of one thread each under GNU parallel. The
# output is in input order and byte-identical to one `simscore score` process's (docs/scale-out.md).
# Two ways to split the work; each line below is the one-liner with its variables:
#
#   --shard: every job reads the whole file and keeps the rows whose index is K modulo JOBS (the
#   file is read JOBS times, no row is copied); `paste` interleaves the parts back into input order
#   and `head` drops the blank lines it pads the shorter parts with. TSV without --header: one row
#   per line.
#       parallel -j4 simscore score pairs.tsv --shard {}/4 --threads 1 -q -o part.{} ::: 0 1 2 3 &&
#         paste -d '\n' part.0 part.1 part.2 part.3 | head -n "$(wc -l < pairs.tsv)" > scores.txt
#
#   --pipe: parallel cuts stdin into blocks of 2,000 lines and starts one process per block (each
#   loads the model: keep blocks large); -k writes their outputs in input order. Works on a stream.
#       parallel --pipe -k -N 2000 -j4 simscore score - --threads 1 -q < pairs.tsv > scores.txt
#
# Usage: examples/parallel.sh shard|pipe INPUT OUTPUT [JOBS] [simscore options, e.g. --model DIR]
# SIMSCORE names the binary (default: simscore on PATH); BLOCK_LINES the lines per job of the pipe
# form (default 2000). Any failing job fails the whole run (--halt now,fail=1) with a non-zero exit.
set -euo pipefail
form=$1 input=$2 output=$3
jobs=${4:-$(nproc)}
shift $(($# < 4 ? $# : 4))
simscore=${SIMSCORE:-simscore}

case $form in
  shard)
    parts=$(mktemp -d)
    trap 'rm -rf "$parts"' EXIT
    parallel --halt now,fail=1 -j "$jobs" "$simscore" score "$input" --shard "{}/$jobs" --threads 1 -q \
      "$@" -o "$parts/part.{}" ::: $(seq 0 $((jobs - 1)))
    paste -d '\n' $(seq -f "$parts/part.%g" 0 $((jobs - 1))) | head -n "$(wc -l < "$input")" > "$output"
    ;;
  pipe)
    parallel --halt now,fail=1 --pipe -k -N "${BLOCK_LINES:-2000}" -j "$jobs" "$simscore" score - --threads 1 -q "$@" \
      < "$input" > "$output"
    ;;
  *)
    echo "usage: $0 shard|pipe INPUT OUTPUT [JOBS] [simscore options]" >&2
    exit 2
    ;;
esac
