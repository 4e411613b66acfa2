#include "core/scoring/cross_head.h"

#include <algorithm>
#include <cmath>

#include "core/ops/gemm.h"

namespace simscore {
namespace {

// Sixteen running sums (one vector register's worth, which the compiler keeps in registers), then
// a fixed pairwise reduction: the same order for every row, call and thread.
float dot(const float* a, const float* b, int n) {
  constexpr int kLanes = 16;
  float lanes[kLanes] = {};
  int i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] += a[i + l] * b[i + l];
  for (int l = 0; i < n; ++i, ++l) lanes[l] += a[i] * b[i];
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l) lanes[l] += lanes[l + width];
  return lanes[0];
}

}  // namespace

void linear_per_row(const float* x, int rows, const Linear& layer, float* y, float* weight_scratch) {
  const int out = layer.out_features(), in = layer.in_features();
  const bool stored_f32 = layer.weight.dtype == DType::f32;
  // Half-precision weights are widened a block of output features at a time (as `linear` does),
  // which changes no sum: each output's dot product runs whole on one block.
  const int block = stored_f32 ? out : widen_block_rows(in, out);
  for (int first = 0; first < out; first += block) {
    const int n = std::min(block, out - first);
    const float* w = static_cast<const float*>(layer.weight.data) + static_cast<size_t>(first) * in;
    if (!stored_f32) {
      widen_block(layer, first, n, 0, in, weight_scratch);
      w = weight_scratch;
    }
    const long cells = static_cast<long>(rows) * n;
#pragma omp parallel for schedule(static)
    for (long cell = 0; cell < cells; ++cell) {
      const int r = static_cast<int>(cell / n), o = static_cast<int>(cell % n);
      y[static_cast<size_t>(r) * out + first + o] =
          layer.bias[static_cast<size_t>(first + o)] + dot(x + static_cast<size_t>(r) * in, w + static_cast<size_t>(o) * in, in);
    }
  }
}

void cross_encoder_logits(const float* first_tokens, int rows, const EncoderWeights& weights, float* pooled,
                          float* logits, float* weight_scratch) {
  const float* features = first_tokens;
  if (weights.pooler) {
    linear_per_row(first_tokens, rows, *weights.pooler, pooled, weight_scratch);
    const size_t n = static_cast<size_t>(rows) * static_cast<size_t>(weights.pooler->out_features());
    for (size_t i = 0; i < n; ++i) pooled[i] = std::tanh(pooled[i]);
    features = pooled;
  }
  linear_per_row(features, rows, *weights.classifier, logits, weight_scratch);
}

}  // namespace simscore
