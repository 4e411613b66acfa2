#pragma once
// The weights of a BERT-family encoder and its scoring heads. Matrices keep the storage precision
// the run asked for (fp16 by default); biases and LayerNorm parameters are small and always fp32.

#include <any>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/model/config.h"
#include "core/model/tensor.h"

namespace simscore {

// A matrix held as int8 for int8 products (quantized as it loads, or read as stored from `simscore
// convert --precision int8`): W[r, :] ~= scales[r] * values[r, :], values row-major [out, in] with
// |value| <= limit (63: 7-bit, or 127). Views into the mapped file or a buffer in
// EncoderWeights::owners.
struct Int8Storage {
  const int8_t* values = nullptr;
  const float* scales = nullptr;
  int limit = 0;
};

// y = x W^T + b, with W stored [out, in] as PyTorch's nn.Linear stores it.
struct Linear {
  TensorView weight;  // with `int8`: the shape only (data null), as only int8 products read it
  std::vector<float> bias;
  std::optional<Int8Storage> int8;

  int out_features() const { return static_cast<int>(weight.shape.at(0)); }
  int in_features() const { return static_cast<int>(weight.shape.at(1)); }
};

struct LayerNormWeights {
  std::vector<float> gamma;
  std::vector<float> beta;
};

struct EncoderLayerWeights {
  Linear query, key, value;
  Linear attention_output;
  LayerNormWeights attention_norm;
  Linear intermediate;
  Linear output;
  LayerNormWeights output_norm;
};

struct EncoderWeights {
  DType storage = DType::f16;
  TensorView word_embeddings;        // [vocab, hidden]
  TensorView position_embeddings;    // [max_positions, hidden]
  TensorView token_type_embeddings;  // [type_vocab, hidden]
  LayerNormWeights embedding_norm;
  std::vector<EncoderLayerWeights> layers;
  std::optional<Linear> pooler;      // dense + tanh over the first token (cross-encoders)
  std::optional<Linear> classifier;  // [num_labels, hidden]
  // Keeps alive whatever the views point into: mapped files and converted buffers.
  std::vector<std::any> owners;

  // Bytes of all matrices and vectors as stored (what the weights cost in memory).
  size_t bytes() const;
  // Number of parameters.
  size_t parameters() const;
};

// Weights with shapes and storage but no data, as a model of this config would load them: enough
// for bytes(), parameters() and an EncoderPlan, which read only those. `pooler` adds the dense
// layer before the classifier; `labels` > 0 adds a classifier with that many outputs.
// `int8_products`: the matrices int8 products multiply (Q, K, V, attention output, FFN in, and FFN
// output unless `int8_ffn_output` is false) held as int8, as a run with int8 products loads them.
EncoderWeights weight_shapes(const EncoderConfig& config, DType storage, bool pooler, int labels,
                             bool int8_products = false, bool int8_ffn_output = true);

}  // namespace simscore
