#pragma once
// The instruction sets simscore's own kernels (attention, LayerNorm, activations, conversions) are
// compiled for, and the one this process runs, chosen once at run time. The binary itself targets
// x86-64-v2, so it starts on any x86-64 CPU of the last fifteen years; oneDNN and OpenBLAS choose
// their own kernels at run time too.

#include <string_view>

namespace simscore {

enum class CpuIsa {
  baseline,  // x86-64-v2 (SSE4.2), or whatever -march the build was given (SIMSCORE_NATIVE)
  avx2,      // x86-64-v3: AVX2, FMA, F16C
  avx512,    // x86-64-v4: AVX-512 F/BW/CD/DQ/VL
};

// The variant the kernels run: the best one this build has that the CPU and the OS support, lowered
// by $ONEDNN_MAX_CPU_ISA (oneDNN's own cap: AVX2 or below caps ours alike) and by $SIMSCORE_CPU_ISA
// (baseline, avx2 or avx512) when set. Decided on the first call.
CpuIsa cpu_isa();
// Whether this build has a variant for `isa` and this CPU can run it.
bool cpu_isa_available(CpuIsa isa);
// Makes the kernels run `isa` from now on (tests compare the variants); throws std::invalid_argument
// when it is not available.
void set_cpu_isa(CpuIsa isa);
// "avx2 (x86-64-v3)" and the like; "native (-march=native build)" for a native build.
std::string_view cpu_isa_name(CpuIsa isa);

}  // namespace simscore
