#pragma once
// Multi-head self-attention over packed sequences: each sequence attends only to its own tokens, as
// small matrix products per (sequence, head), with the softmax in fp32. This is exactly what
// HuggingFace computes with a padding mask (masked keys get probability 0), minus the padding.

#include "core/encoder/token_batch.h"

namespace simscore {

// context[t, :] = softmax(Q_h K_h^T / sqrt(d)) V_h, for every head h, over the tokens of t's sequence.
// Rows of query/key/value are `stride` floats apart (3 * hidden when Q, K and V lie side by side in
// one [tokens, 3H] buffer, as on the OpenBLAS path); context is [batch.tokens(), heads * head_dim];
// `scores` holds compute_threads() * max_length^2 floats.
void self_attention(const TokenBatch& batch, int heads, int head_dim, const float* query,
                    const float* key, const float* value, int stride, float* context, float* scores);

}  // namespace simscore
