#pragma once
// The instruction-set classes whose products differ in kind: what `--precision auto` decides
// between (core/ops/auto_precision.h, which also finds this process's class from oneDNN), and
// what $ONEDNN_MAX_CPU_ISA caps both oneDNN's kernels and simscore's own (core/cpu/isa.h) to. Tests
// rerun under each class below the host's by setting that variable (tests/CMakeLists.txt).

#include <optional>
#include <string_view>

namespace simscore {

// In increasing order: each class has the kernels of those before it.
enum class IsaClass {
  baseline,     // below AVX2 (SSE4.1, AVX)
  avx2,         // AVX2 (with or without AVX-VNNI)
  avx512,       // AVX-512 F/BW/VL/DQ, no VNNI
  avx512_vnni,  // AVX-512 with VNNI (int8 multiply-adds in 32 bits)
  avx512_bf16,  // AVX-512 with VNNI and BF16
  amx,          // AMX tiles (bf16 and int8)
};

// "AVX2", "AVX512-VNNI", ... as the CPU vendors spell them.
std::string_view isa_class_name(IsaClass isa);
// The class a value of $ONEDNN_MAX_CPU_ISA caps to (e.g. "AVX512_CORE_VNNI" -> avx512_vnni), case
// insensitive; nullopt for "ALL", an empty or an unknown value (oneDNN ignores those too).
std::optional<IsaClass> isa_class_cap(std::string_view onednn_max_cpu_isa);

}  // namespace simscore
