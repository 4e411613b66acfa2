#!/usr/bin/env python3
"""Fails when an AVX or AVX-512 instruction sits in a function that any x86-64 CPU may run.

The portable build compiles everything for x86-64-v2 and only the kernel variants in the
namespaces isa_avx2 / isa_avx512 (and their renamed Eigen_isa_avx2 / Eigen_isa_avx512) for more
(core/cpu/isa_kernels.h). If the linker kept an AVX-512 copy of some shared inline function, a CPU
without AVX-512 would die with SIGILL the first time it ran it, far from any test that runs on an
AVX-512 machine. This reads the disassembly instead: every VEX/EVEX instruction (a 'v' mnemonic or
a ymm/zmm register) must be inside a function of those namespaces.

usage: isa_leak_check.py BINARY...
"""
import re
import subprocess
import sys

ALLOWED = re.compile(r"isa_avx2|isa_avx512|Eigen_isa_avx2|Eigen_isa_avx512")
FUNCTION = re.compile(r"^[0-9a-f]+ <(.*)>:$")
# AT&T syntax: the mnemonic follows the address and a tab. VEX-encoded forms start with 'v'
# (vmovaps, vfmadd231ps, vzeroupper, ...); a few old non-VEX mnemonics do too.
NON_VEX_V = {"verr", "verw"}


def leaks(binary):
    out = subprocess.run(["objdump", "-d", "-C", "--no-show-raw-insn", binary],
                         check=True, capture_output=True, text=True).stdout
    function, found = None, {}
    for line in out.splitlines():
        m = FUNCTION.match(line)
        if m:
            function = m.group(1)
            continue
        parts = line.split("\t")
        if function is None or len(parts) < 2 or ALLOWED.search(function):
            continue
        instruction = parts[-1].strip()
        mnemonic = instruction.split(" ")[0]
        if (mnemonic.startswith("v") and mnemonic not in NON_VEX_V) or "%ymm" in instruction \
                or "%zmm" in instruction:
            found.setdefault(function, instruction)
    return found


def main():
    failed = False
    for binary in sys.argv[1:]:
        found = leaks(binary)
        for function, instruction in sorted(found.items())[:20]:
            print(f"{binary}: {function}: {instruction}")
        if found:
            failed = True
            print(f"{binary}: {len(found)} functions outside the isa_avx2/isa_avx512 kernels use "
                  "AVX instructions: the binary would die on a CPU without them")
        else:
            print(f"{binary}: no AVX instruction outside the isa_avx2/isa_avx512 kernels")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
