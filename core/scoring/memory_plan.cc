#include "core/scoring/memory_plan.h"

#include "core/encoder/workspace.h"

namespace simscore {

size_t weight_bytes(const EncoderConfig& c, DType storage, int head_labels) {
  const size_t h = static_cast<size_t>(c.hidden_size);
  const size_t ffn = static_cast<size_t>(c.intermediate_size);
  const size_t matrices =
      (static_cast<size_t>(c.vocab_size) + static_cast<size_t>(c.max_position_embeddings) +
       static_cast<size_t>(c.type_vocab_size)) * h +
      static_cast<size_t>(c.num_layers) * (4 * h * h + 2 * h * ffn) +
      (head_labels > 0 ? h * h + static_cast<size_t>(head_labels) * h : 0);
  // Per layer: q, k, v, output and FFN-output biases (5h), the FFN bias, two LayerNorms (4h).
  const size_t vectors = 2 * h + static_cast<size_t>(c.num_layers) * (9 * h + ffn) +
                         (head_labels > 0 ? h + static_cast<size_t>(head_labels) : 0);
  return matrices * dtype_size(storage) + vectors * sizeof(float);
}

size_t arena_bytes(const EncoderConfig& config, const EncoderWeights& weights, size_t tokens,
                   size_t max_length, int threads) {
  return ActivationLayout::plan(config, weights, tokens, max_length, threads).total * sizeof(float);
}

size_t max_batch_tokens_within(const EncoderConfig& config, const EncoderWeights& weights,
                               size_t bytes, size_t max_length, int threads) {
  if (arena_bytes(config, weights, max_length, max_length, threads) > bytes) return 0;
  // The arena grows monotonically with the token count: binary search the largest that fits.
  size_t low = max_length, high = max_length;
  while (arena_bytes(config, weights, high * 2, max_length, threads) <= bytes && high < (size_t{1} << 30))
    high *= 2;
  high *= 2;
  while (low + 1 < high) {
    const size_t mid = low + (high - low) / 2;
    (arena_bytes(config, weights, mid, max_length, threads) <= bytes ? low : high) = mid;
  }
  return low;
}

}  // namespace simscore
