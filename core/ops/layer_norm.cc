#include "core/ops/layer_norm.h"

#include <Eigen/Core>
#include <cmath>

namespace simscore {

void add_bias_residual_layer_norm(float* x, const float* bias, const float* residual, int rows,
                                  int cols, const LayerNormWeights& norm, float eps) {
  using Row = Eigen::Map<Eigen::ArrayXf>;
  using ConstRow = Eigen::Map<const Eigen::ArrayXf>;
  const ConstRow gamma(norm.gamma.data(), cols);
  const ConstRow beta(norm.beta.data(), cols);
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

}  // namespace simscore
