#pragma once
// The memory a run needs, modelled before it happens from the encoder's plan (EncoderPlan): the
// weights as stored plus their prepacked copies, and the activation arena of a batch, so a budget
// can be turned into a batch size and a budget that cannot be met is refused up front.

#include <cstddef>

#include "core/encoder/encoder_plan.h"

namespace simscore {

// Bytes the weights take in memory: as stored, plus the products' prepacked copies.
size_t weight_bytes(const EncoderPlan& plan);

// The largest batch (in tokens, at least max_length so any sequence fits) whose arena fits in
// `bytes`; 0 when not even one sequence of max_length tokens fits.
size_t max_batch_tokens_within(const EncoderPlan& plan, size_t bytes, size_t max_length);

}  // namespace simscore
