#pragma once
// LayerNorm over the last dimension, statistics in fp32, fused with the residual add and bias that
// precede every LayerNorm in a BERT layer.

#include "core/model/weights.h"

namespace simscore {

// x[rows, cols] = LayerNorm(x + bias + residual). `residual` may be null, `bias` may be null.
void add_bias_residual_layer_norm(float* x, const float* bias, const float* residual, int rows,
                                  int cols, const LayerNormWeights& norm, float eps);

}  // namespace simscore
