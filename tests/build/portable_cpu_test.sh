#!/usr/bin/env bash
# The portable binary on CPUs it was not built on: scores the example pairs natively and under QEMU's
# user-mode emulation of older CPUs (Debian qemu-user), and checks every score equals the native
# run's within 1e-5 (all at --precision fp16, so the arithmetic compared is the same), and that
# --precision auto resolves on each CPU as core/ops/auto_precision.cc's table says. Haswell-v4 is AVX2 without AVX-512 (most laptops, Spark workers and older
# servers); Nehalem is x86-64-v2 without AVX at all. oneDNN and OpenBLAS pick their kernels for
# the emulated CPU, and simscore its own (core/cpu/isa.h).
#
# usage: portable_cpu_test.sh SIMSCORE_BINARY SOURCE_DIR   (exit 77: skipped, qemu-x86_64 absent)
set -euo pipefail
binary=$1
source_dir=$2
model=${SIMSCORE_MODEL:-$source_dir/models/all-MiniLM-L6-v2}
pairs=$source_dir/examples/pairs.tsv

if ! command -v qemu-x86_64 >/dev/null; then
  echo "SKIP: qemu-x86_64 is absent (Debian qemu-user; scripts/install_deps.sh --test installs it)"
  exit 77
fi
if [[ ! -f $model/config.json ]]; then
  echo "SKIP: $model is absent; run scripts/fetch_default_model.sh"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$binary" score "$pairs" --model "$model" --threads 1 --precision fp16 >"$work/native.tsv"
status=0
# The emulated CPU, the kernel variant simscore must choose on it, and what --precision auto picks.
for cpu_isa in Haswell-v4:avx2:int8 Nehalem-v2:baseline:fp16; do
  IFS=: read -r cpu isa auto <<<"$cpu_isa"
  echo "== $cpu"
  # -v names the kernels each library chose; they must fit the emulated CPU. The settings simscore
  # would otherwise re-execute itself for are given here: QEMU's user mode does not follow an
  # exec, and the re-executed process would run on the real CPU.
  OMP_WAIT_POLICY=passive \
    qemu-x86_64 -cpu "$cpu" "$binary" score "$pairs" --model "$model" --threads 1 --precision fp16 -v \
    >"$work/$cpu.tsv" 2>"$work/$cpu.err" || {
    echo "FAIL: the binary failed under qemu-x86_64 -cpu $cpu:"
    tail -20 "$work/$cpu.err"
    status=1
    continue
  }
  grep -iE "kernel|isa" "$work/$cpu.err" || true
  if ! grep -q "^kernel isa   $isa " "$work/$cpu.err"; then
    echo "FAIL: under $cpu simscore did not choose its $isa kernels (was it emulated at all?)"
    status=1
    continue
  fi
  chosen=$(OMP_WAIT_POLICY=passive qemu-x86_64 -cpu "$cpu" "$binary" inspect --model "$model" --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["precision"])')
  echo "$cpu: --precision auto picks $chosen"
  if [[ $chosen != "$auto" ]]; then
    echo "FAIL: under $cpu --precision auto picked $chosen, the table says $auto"
    status=1
  fi
  python3 - "$work/native.tsv" "$work/$cpu.tsv" "$cpu" <<'PY' || status=1
import sys
native = [float(x) for x in open(sys.argv[1])]
emulated = [float(x) for x in open(sys.argv[2])]
cpu = sys.argv[3]
assert len(native) == len(emulated) and native, f"{cpu}: {len(emulated)} scores, native {len(native)}"
worst = max(abs(a - b) for a, b in zip(native, emulated))
print(f"{cpu}: {len(native)} scores, largest difference from the native run {worst:.2e}")
if worst > 1e-5:
    sys.exit(f"FAIL: {cpu} differs from the native run by {worst:.2e} (> 1e-5)")
PY
done
exit $status
