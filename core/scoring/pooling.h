#pragma once
// Turning a sequence's hidden states into one sentence embedding, as sentence-transformers' Pooling
// and Normalize modules do.

#include <string_view>

#include "core/encoder/token_batch.h"
#include "core/scoring/model_scoring.h"

namespace simscore {

std::string_view pooling_name(Pooling pooling);

// out[s, :] = pooled hidden states of sequence s, L2-normalised when `normalize`.
void pool(const float* hidden, const TokenBatch& batch, int hidden_size, Pooling pooling,
          bool normalize, float* out);

// Cosine similarity as sentence_transformers.util.cos_sim computes it (each side normalised with
// an epsilon of 1e-12).
float cosine_similarity(const float* a, const float* b, int n);

}  // namespace simscore
