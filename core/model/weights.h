#pragma once
// The weights of a BERT-family encoder and its scoring heads. Matrices keep the storage precision
// the run asked for (fp16 by default); biases and LayerNorm parameters are small and always fp32.

#include <any>
#include <optional>
#include <vector>

#include "core/model/config.h"
#include "core/model/tensor.h"

namespace simscore {

// y = x W^T + b, with W stored [out, in] as PyTorch's nn.Linear stores it.
struct Linear {
  TensorView weight;
  std::vector<float> bias;

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
EncoderWeights weight_shapes(const EncoderConfig& config, DType storage, bool pooler, int labels);

}  // namespace simscore
