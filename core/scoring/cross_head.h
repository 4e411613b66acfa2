#pragma once
// The cross-encoder's head on the first token of each pair: [pooler: dense + tanh], then the
// classifier, computed row by row. Each output is one dot product summed in one fixed order, so a
// row's logits do not depend on how many rows share the call or on the thread count, and scores
// stay byte-identical across --max-batch-tokens, --window, --shard and --threads (a BLAS product
// over the batch sums the last rows of a block in another order).

#include "core/model/weights.h"

namespace simscore {

// logits[rows, labels] from first_tokens[rows, hidden]; `pooled` holds rows x hidden floats (used
// when the model has a pooler), `weight_scratch` linear_scratch_floats() of the head's matrices.
void cross_encoder_logits(const float* first_tokens, int rows, const EncoderWeights& weights, float* pooled,
                          float* logits, float* weight_scratch);

// y[r] = W x[r] + b for each row r on its own, in the fixed order described above.
void linear_per_row(const float* x, int rows, const Linear& layer, float* y, float* weight_scratch);

}  // namespace simscore
