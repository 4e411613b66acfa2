#!/usr/bin/env bash
# simscore as the mapper of a map-only Hadoop streaming job: every line of the input files goes
# through `simscore score -` and comes out as `input line<TAB>score`, one line per line, in each
# split's order (part-m-00000, part-m-00001, ... follow the splits).
#
#   examples/hadoop_streaming.sh INPUT_DIR OUTPUT_DIR [MODEL_DIR]     (from the repository root)
#
# Not run by the tests (there is no Hadoop here); the simscore side of it is: the same command is
# what tests/e2e/test_spark.py pipes partitions through.
#
# - Shipping: -files puts the binary in each task's working folder (executable); -archives unpacks
#   model.tar there as model/. The binary needs the Debian libraries docs/development.md
#   "Dependencies" lists on every node (the same image). An fp16 copy (`simscore convert --precision
#   fp16`) ships half.
# - Cores: one mapper is one simscore process; --threads must match mapreduce.map.cpu.vcores.
# - Memory: mapreduce.map.memory.mb is the whole container: the streaming JVM (small heap: it only
#   moves lines) plus simscore, which --max-memory caps.
# - Failures: a non-zero exit fails the task (stream.non.zero.exit.is.failure, true by default);
#   docs/usage.md "Exit codes" says which. simscore's stderr goes to the task log (-q keeps it to
#   errors).
# - Text input: streaming gives the mapper the lines only (no offsets); mapper output is split at
#   its first tab into key and value and written back joined by a tab, so lines are unchanged.
set -euo pipefail
input=$1 output=$2 model=${3:-models/all-MiniLM-L6-v2}
threads=2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -cf "$work/model.tar" -C "$(dirname "$model")" "$(basename "$model")"

mapred streaming \
  -D mapreduce.job.reduces=0 \
  -D mapreduce.map.cpu.vcores=$threads \
  -D mapreduce.map.memory.mb=1024 \
  -D mapreduce.map.java.opts=-Xmx256m \
  -files build/cli/simscore \
  -archives "$work/model.tar#model" \
  -input "$input" \
  -output "$output" \
  -mapper "./simscore score - --model model/$(basename "$model") --with-input --threads $threads --max-memory 512M -q"
