// Compiled once per CpuIsa (core/cpu/isa_kernels.h says how and why).
#include "core/cpu/isa_kernels.h"

#include <Eigen/Core>

#include "core/model/config.h"
#include "core/ops/activation_row.h"

namespace simscore::SIMSCORE_ISA_NS {

void add_bias_activation(float* x, const float* bias, int rows, int cols, Activation activation) {
  using Row = Eigen::Map<Eigen::ArrayXf>;
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) {
    Row v(x + static_cast<size_t>(r) * cols, cols);
    if (bias) v += Eigen::Map<const Eigen::ArrayXf>(bias, cols);
    apply_activation(v, activation);
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
