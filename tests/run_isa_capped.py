"""Runs one test command with oneDNN's kernels (and simscore's own, core/cpu/isa.h) capped to an
instruction-set class: ONEDNN_MAX_CPU_ISA=CAP. Exits 77 (ctest's "skipped") unless this CPU's class
is above CAP: at or above it the capped run is the uncapped one, or cannot run at all.

    run_isa_capped.py CAP COMMAND [ARGS...]
"""
import os
import sys

# oneDNN's names for the classes of core/cpu/isa_class.h, lowest first, with the CPU flags
# (/proc/cpuinfo) each needs on top of the ones before it.
CLASSES = [("AVX2", {"avx2", "fma"}),
           ("AVX512_CORE", {"avx512f", "avx512bw", "avx512vl", "avx512dq"}),
           ("AVX512_CORE_VNNI", {"avx512_vnni"}),
           ("AVX512_CORE_BF16", {"avx512_bf16"}),
           ("AVX512_CORE_AMX", {"amx_tile", "amx_bf16", "amx_int8"})]


def host_rank():
    flags = set()
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    rank = -1
    for i, (_, needed) in enumerate(CLASSES):
        if not needed <= flags:
            break
        rank = i
    return rank


def main():
    cap, command = sys.argv[1], sys.argv[2:]
    names = [name for name, _ in CLASSES]
    rank = host_rank()
    if names.index(cap) >= rank:
        host = names[rank] if rank >= 0 else "below AVX2"
        print(f"skipped: this CPU's class is {host}; a cap at {cap} would run nothing new")
        sys.exit(77)
    os.execvpe(command[0], command, {**os.environ, "ONEDNN_MAX_CPU_ISA": cap})


if __name__ == "__main__":
    main()
