#include "core/encoder/attention.h"
#include "core/encoder/workspace.h"

#include <omp.h>

#include <Eigen/Core>
#include <cmath>

namespace simscore {
namespace {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using HeadView = Eigen::Map<const Matrix, 0, Eigen::OuterStride<>>;
using HeadOut = Eigen::Map<Matrix, 0, Eigen::OuterStride<>>;

}  // namespace

void self_attention(const TokenBatch& batch, int heads, int head_dim, const float* query,
                    const float* key, const float* value, int stride, float* context, float* scores) {
  const int hidden = heads * head_dim;
  const int max_length = batch.max_length();
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const int tasks = static_cast<int>(batch.sequences()) * heads;

#pragma omp parallel for schedule(dynamic)
  for (int task = 0; task < tasks; ++task) {
    const size_t s = static_cast<size_t>(task / heads);
    const int h = task % heads;
    const int length = batch.lengths[s];
    const size_t column = static_cast<size_t>(h) * head_dim;
    const size_t first = batch.offsets[s] * stride + column;
    const Eigen::OuterStride<> in_stride(stride);
    const HeadView q(query + first, length, head_dim, in_stride);
    const HeadView k(key + first, length, head_dim, in_stride);
    const HeadView v(value + first, length, head_dim, in_stride);
    Eigen::Map<Matrix> p(scores + static_cast<size_t>(omp_get_thread_num()) *
                                        ActivationLayout::scores_stride(static_cast<size_t>(max_length)),
                         length, length);

    p.noalias() = (q * scale) * k.transpose();
    for (int i = 0; i < length; ++i) {
      auto row = p.row(i).array();
      row = (row - row.maxCoeff()).exp();
      row /= row.sum();
    }
    HeadOut(context + batch.offsets[s] * hidden + column, length, head_dim,
            Eigen::OuterStride<>(hidden))
        .noalias() = p * v;
  }
}

}  // namespace simscore
