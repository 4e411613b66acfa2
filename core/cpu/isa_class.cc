#include "core/cpu/isa_class.h"

#include <array>
#include <cctype>
#include <string>
#include <utility>

namespace simscore {

std::string_view isa_class_name(IsaClass isa) {
  switch (isa) {
    case IsaClass::baseline: return "below AVX2";
    case IsaClass::avx2: return "AVX2";
    case IsaClass::avx512: return "AVX-512";
    case IsaClass::avx512_vnni: return "AVX512-VNNI";
    case IsaClass::avx512_bf16: return "AVX512-BF16";
    case IsaClass::amx: return "AMX";
  }
  return "?";
}

std::optional<IsaClass> isa_class_cap(std::string_view value) {
  std::string name(value);
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  // oneDNN 2.6's names (dnnl_cpu_isa_t), each with the class it leaves the kernels.
  static constexpr std::array<std::pair<std::string_view, IsaClass>, 10> kCaps{{
      {"SSE41", IsaClass::baseline},
      {"AVX", IsaClass::baseline},
      {"AVX2", IsaClass::avx2},
      {"AVX2_VNNI", IsaClass::avx2},
      {"AVX512_MIC", IsaClass::baseline},  // Xeon Phi: none of the classes' AVX-512 kernels
      {"AVX512_MIC_4OPS", IsaClass::baseline},
      {"AVX512_CORE", IsaClass::avx512},
      {"AVX512_CORE_VNNI", IsaClass::avx512_vnni},
      {"AVX512_CORE_BF16", IsaClass::avx512_bf16},
      {"AVX512_CORE_AMX", IsaClass::amx},
  }};
  for (const auto& [cap, isa] : kCaps)
    if (name == cap) return isa;
  return std::nullopt;
}

}  // namespace simscore
