#pragma once
// Included first by every kernel source that is compiled once per CpuIsa (core/CMakeLists.txt,
// simscore_isa_kernels). Each compilation puts its kernels in namespace SIMSCORE_ISA_NS
// (isa_baseline, isa_avx2 or isa_avx512) and gets that variant's -march. The baseline compilation
// also defines SIMSCORE_ISA_DISPATCHER: it holds the public function, which calls the variant
// cpu_isa() names.
//
// Eigen's templates are instantiated in every variant under the same names; the linker would keep
// one copy of each for the whole program, and an AVX-512 copy could then run on a CPU without it.
// Renaming Eigen's namespace per variant keeps each variant's instantiations its own. So this file
// must come before <Eigen/...>, and a kernel source includes no header that itself names Eigen.

#include "core/cpu/isa.h"

#ifndef SIMSCORE_ISA_NS
#define SIMSCORE_ISA_NS isa_baseline
#endif
#define SIMSCORE_ISA_CONCAT_(a, b) a##_##b
#define SIMSCORE_ISA_CONCAT(a, b) SIMSCORE_ISA_CONCAT_(a, b)
#define Eigen SIMSCORE_ISA_CONCAT(Eigen, SIMSCORE_ISA_NS)

// Declares `declaration` (a function signature) in every variant's namespace.
#ifdef SIMSCORE_ISA_SINGLE
#define SIMSCORE_ISA_VARIANTS(declaration) \
  namespace isa_baseline {                 \
  declaration;                             \
  }
#define SIMSCORE_ISA_CALL(function, ...) return isa_baseline::function(__VA_ARGS__)
#else
#define SIMSCORE_ISA_VARIANTS(declaration) \
  namespace isa_baseline {                 \
  declaration;                             \
  }                                        \
  namespace isa_avx2 {                     \
  declaration;                             \
  }                                        \
  namespace isa_avx512 {                   \
  declaration;                             \
  }
// The body of a public kernel: calls the variant this process runs.
#define SIMSCORE_ISA_CALL(function, ...)            \
  switch (::simscore::cpu_isa()) {                  \
    case ::simscore::CpuIsa::avx512:                \
      return isa_avx512::function(__VA_ARGS__);     \
    case ::simscore::CpuIsa::avx2:                  \
      return isa_avx2::function(__VA_ARGS__);       \
    case ::simscore::CpuIsa::baseline:              \
      break;                                        \
  }                                                 \
  return isa_baseline::function(__VA_ARGS__)
#endif
