// Compiled once per CpuIsa (core/cpu/isa_kernels.h says how and why).
#include "core/cpu/isa_kernels.h"

#include <omp.h>

#include <Eigen/Core>
#include <cmath>
#include <cstddef>

namespace simscore::SIMSCORE_ISA_NS {
namespace {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using HeadView = Eigen::Map<const Matrix, 0, Eigen::OuterStride<>>;
using HeadOut = Eigen::Map<Matrix, 0, Eigen::OuterStride<>>;

}  // namespace

// `scores` holds one [length, length] block of `scores_stride` floats per thread.
void self_attention(const int* lengths, const size_t* offsets, int sequences, int heads, int head_dim,
                    const float* query, const float* key, const float* value, int stride,
                    float* context, float* scores, size_t scores_stride) {
  const int hidden = heads * head_dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const int tasks = sequences * heads;

#pragma omp parallel for schedule(dynamic)
  for (int task = 0; task < tasks; ++task) {
    const int s = task / heads;
    const int h = task % heads;
    const int length = lengths[s];
    const size_t column = static_cast<size_t>(h) * head_dim;
    const size_t first = offsets[s] * stride + column;
    const Eigen::OuterStride<> in_stride(stride);
    const HeadView q(query + first, length, head_dim, in_stride);
    const HeadView k(key + first, length, head_dim, in_stride);
    const HeadView v(value + first, length, head_dim, in_stride);
    Eigen::Map<Matrix> p(scores + static_cast<size_t>(omp_get_thread_num()) * scores_stride, length,
                         length);

    p.noalias() = (q * scale) * k.transpose();
    for (int i = 0; i < length; ++i) {
      auto row = p.row(i).array();
      row = (row - row.maxCoeff()).exp();
      row /= row.sum();
    }
    HeadOut(context + offsets[s] * hidden + column, length, head_dim, Eigen::OuterStride<>(hidden))
        .noalias() = p * v;
  }
}

}  // namespace simscore::SIMSCORE_ISA_NS

#ifdef SIMSCORE_ISA_DISPATCHER
#include "core/encoder/attention.h"
#include "core/encoder/workspace.h"

namespace simscore {

SIMSCORE_ISA_VARIANTS(void self_attention(const int*, const size_t*, int, int, int, const float*,
                                          const float*, const float*, int, float*, float*, size_t))

void self_attention(const TokenBatch& batch, int heads, int head_dim, const float* query,
                    const float* key, const float* value, int stride, float* context, float* scores) {
  const size_t scores_stride =
      ActivationLayout::scores_stride(static_cast<size_t>(batch.max_length()));
  SIMSCORE_ISA_CALL(self_attention, batch.lengths.data(), batch.offsets.data(),
                    static_cast<int>(batch.sequences()), heads, head_dim, query, key, value, stride,
                    context, scores, scores_stride);
}

}  // namespace simscore
#endif
