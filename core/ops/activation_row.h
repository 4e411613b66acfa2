#pragma once
// The feed-forward activation on one row, in place, for kernel sources compiled once per CpuIsa
// (core/cpu/isa_kernels.h must come first: it gives Eigen this variant's name). Shared by the
// activation pass (activation.cc) and the int8 product's epilogue (int8_rows.cc), which applies it
// to a row while the row is still in cache.

#ifndef SIMSCORE_ISA_NS
#error "include core/cpu/isa_kernels.h first"
#endif

#include <Eigen/Core>
#include <cmath>
#include <unsupported/Eigen/SpecialFunctions>

#include "core/model/config.h"

namespace simscore::SIMSCORE_ISA_NS {

inline void apply_activation(Eigen::Map<Eigen::ArrayXf> v, Activation activation) {
  switch (activation) {
    case Activation::gelu_erf:
      v = 0.5f * v * (1.0f + (v * static_cast<float>(M_SQRT1_2)).erf());
      break;
    case Activation::gelu_tanh: {
      const float k = 0.7978845608028654f;  // sqrt(2 / pi)
      v = 0.5f * v * (1.0f + (k * (v + 0.044715f * v.cube())).tanh());
      break;
    }
    case Activation::relu:
      v = v.max(0.0f);
      break;
  }
}

}  // namespace simscore::SIMSCORE_ISA_NS
