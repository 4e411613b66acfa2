#include "core/encoder/workspace.h"

#include <algorithm>
#include <cstdlib>
#include <new>

#include "core/ops/gemm.h"
#include "core/ops/linear_block.h"

namespace simscore {

ActivationLayout ActivationLayout::plan(const EncoderConfig& config, const EncoderWeights& weights,
                                        size_t tokens, size_t max_length, int threads) {
  const size_t h = static_cast<size_t>(config.hidden_size);
  const size_t ffn = static_cast<size_t>(config.intermediate_size);
  ActivationLayout l;
  size_t at = 0;
  auto take = [&at](size_t floats) {
    const size_t start = at;
    at += (floats + 15) / 16 * 16;  // whole cache lines per buffer
    return start;
  };
  const bool bf16 = compute_precision_for(weights.storage) == ComputePrecision::bf16;
  const GemmBackend backend = gemm_backend();
  auto halves = [](size_t elements) { return (elements + 1) / 2; };
  l.hidden = take(tokens * h);
  l.spare = take(tokens * h);
  l.qkv = take(tokens * 3 * h);
  l.context = take(tokens * h);
  const size_t intermediate = backend == GemmBackend::openblas
                                  ? std::min(tokens, ffn_slice_tokens) * ffn
                                  : tokens * static_cast<size_t>(ffn_block_columns(config));
  l.intermediate = take(bf16 ? halves(intermediate) : intermediate);
  l.bf16_input = take(bf16 ? halves(tokens * h) : 0);
  l.scores = take(static_cast<size_t>(threads) * scores_stride(max_length));
  // Prepacked encoder layers need no scratch; streamed ones and `linear` (fallback backend, heads)
  // widen a block of one matrix.
  size_t scratch = 0;
  if (backend == GemmBackend::openblas) {
    for (const auto& layer : weights.layers)
      for (const Linear* lin : {&layer.query, &layer.key, &layer.value, &layer.attention_output,
                                &layer.intermediate, &layer.output})
        scratch = std::max(scratch, linear_scratch_floats(*lin));
  } else if (weight_layout_for(weights.storage) == WeightLayout::streamed) {
    // The blocks of Q, K, V and the attention output ([H, H] each), and of the feed-forward block
    // ([H, ffn_block_columns] of each of its matrices).
    scratch = std::max(static_cast<size_t>(widen_block_rows(config.hidden_size, config.hidden_size)),
                       static_cast<size_t>(ffn_block_columns(config))) * h;
  }
  if (weights.pooler) scratch = std::max(scratch, linear_scratch_floats(*weights.pooler));
  if (weights.classifier) scratch = std::max(scratch, linear_scratch_floats(*weights.classifier));
  l.weight_scratch = take(scratch);
  l.total = at;
  return l;
}

int ActivationLayout::ffn_block_columns(const EncoderConfig& config) {
  return widen_block_rows(config.hidden_size, config.intermediate_size);
}

namespace {

// 64-byte aligned, so that every buffer in the arena starts on a cache line in every run: Eigen's
// vectorised reductions (LayerNorm statistics, softmax sums) peel to alignment, and the same input
// must give the same bits whatever address malloc returned.
float* allocate(size_t floats) {
  const size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
  auto* p = static_cast<float*>(std::aligned_alloc(64, bytes ? bytes : 64));
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

void Workspace::Free::operator()(float* p) const { std::free(p); }

void Workspace::reserve(const EncoderConfig& config, const EncoderWeights& weights, size_t tokens,
                        size_t max_length, int threads) {
  const size_t floats = ActivationLayout::plan(config, weights, tokens, max_length, threads).total;
  if (floats > capacity_) replace(floats);
}

// The old arena goes before the new one is allocated: both at once would be the run's peak.
void Workspace::replace(size_t floats) {
  data_.reset();
  capacity_ = 0;
  data_.reset(allocate(floats));
  capacity_ = floats;
}

float* Workspace::prepare(const ActivationLayout& layout) {
  if (layout.total > capacity_) replace(layout.total);
  peak_ = std::max(peak_, layout.total);
  layout_ = layout;
  return data_.get();
}

}  // namespace simscore
