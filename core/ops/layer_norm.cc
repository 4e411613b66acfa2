// Compiled once per CpuIsa (core/cpu/isa_kernels.h says how and why).
#include "core/cpu/isa_kernels.h"

#include <Eigen/Core>
#include <cmath>

namespace simscore::SIMSCORE_ISA_NS {

void add_bias_residual_layer_norm(float* x, const float* bias, const float* residual, int rows,
                                  int cols, const float* gamma_data, const float* beta_data,
                                  float eps) {
  using Row = Eigen::Map<Eigen::ArrayXf>;
  using ConstRow = Eigen::Map<const Eigen::ArrayXf>;
  const ConstRow gamma(gamma_data, cols);
  const ConstRow beta(beta_data, cols);
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) {
    Row row(x + static_cast<size_t>(r) * cols, cols);
    if (bias) row += ConstRow(bias, cols);
    if (residual) row += ConstRow(residual + static_cast<size_t>(r) * cols, cols);
    // Two passes (mean, then the mean of squared deviations) as PyTorch does: no cancellation.
    const float mean = row.mean();
    row -= mean;
    const float variance = row.square().mean();
    const float inv_std = 1.0f / std::sqrt(variance + eps);
    row = row * inv_std * gamma + beta;
  }
}

}  // namespace simscore::SIMSCORE_ISA_NS

#ifdef SIMSCORE_ISA_DISPATCHER
#include "core/ops/layer_norm.h"

namespace simscore {

SIMSCORE_ISA_VARIANTS(void add_bias_residual_layer_norm(float*, const float*, const float*, int, int,
                                                        const float*, const float*, float))

void add_bias_residual_layer_norm(float* x, const float* bias, const float* residual, int rows,
                                  int cols, const LayerNormWeights& norm, float eps) {
  SIMSCORE_ISA_CALL(add_bias_residual_layer_norm, x, bias, residual, rows, cols, norm.gamma.data(),
                    norm.beta.data(), eps);
}

}  // namespace simscore
#endif
