#pragma once
// The memory a run needs, modelled before it happens: weights by storage precision, and the
// activation arena of a batch (ActivationLayout), so a budget can be turned into a batch size and a
// budget that cannot be met is refused up front with the numbers.

#include <cstddef>

#include "core/model/config.h"
#include "core/model/tensor.h"
#include "core/model/weights.h"

namespace simscore {

// Bytes the encoder's weights take in memory when matrices are stored as `storage` (biases and
// LayerNorm parameters are always fp32). `head_labels` > 0 adds a pooler and a classifier.
size_t weight_bytes(const EncoderConfig& config, DType storage, int head_labels);

// Bytes of the activation arena for a batch of `tokens` packed tokens, longest sequence
// `max_length`, on `threads` threads.
size_t arena_bytes(const EncoderConfig& config, const EncoderWeights& weights, size_t tokens,
                   size_t max_length, int threads);

// The largest batch (in tokens, at least max_length so any sequence fits) whose arena fits in
// `bytes`; 0 when not even one sequence of max_length tokens fits.
size_t max_batch_tokens_within(const EncoderConfig& config, const EncoderWeights& weights,
                               size_t bytes, size_t max_length, int threads);

}  // namespace simscore
