// Compiled once per CpuIsa (core/cpu/isa_kernels.h says how and why).
#include "core/cpu/isa_kernels.h"

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

#include "core/model/config.h"

namespace simscore::SIMSCORE_ISA_NS {

void add_bias_activation(float* x, const float* bias, int rows, int cols, Activation activation) {
  using Row = Eigen::Map<Eigen::ArrayXf>;
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) {
    Row v(x + static_cast<size_t>(r) * cols, cols);
    if (bias) v += Eigen::Map<const Eigen::ArrayXf>(bias, cols);
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
}

}  // namespace simscore::SIMSCORE_ISA_NS

#ifdef SIMSCORE_ISA_DISPATCHER
#include "core/ops/activation.h"

namespace simscore {

SIMSCORE_ISA_VARIANTS(void add_bias_activation(float*, const float*, int, int, Activation))

void add_bias_activation(float* x, const float* bias, int rows, int cols, Activation activation) {
  SIMSCORE_ISA_CALL(add_bias_activation, x, bias, rows, cols, activation);
}

}  // namespace simscore
#endif
