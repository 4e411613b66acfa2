#pragma once
// The feed-forward activation with its bias add fused in: GELU with the exact erf (BERT's "gelu"),
// the tanh approximation ("gelu_new"), or ReLU. Computed in fp32.

#include "core/model/config.h"

namespace simscore {

// x[rows, cols] = act(x + bias); `bias` may be null.
void add_bias_activation(float* x, const float* bias, int rows, int cols, Activation activation);

}  // namespace simscore
