#pragma once
// The weights of a BERT-family encoder and its scoring heads. Matrices keep the storage precision
// the run asked for (fp16 by default); biases and LayerNorm parameters are small and always fp32.

#include <any>
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
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
  TensorView weight;  // with `int8` or `dropped`: the shape only (data null)
  std::vector<float> bias;
  std::optional<Int8Storage> int8;
  // Its products hold their own prepacked copy, and this one was let go (drop_matrix_source): a
  // matrix is held once.
  bool dropped = false;

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

// The matrices of one encoder layer, in the order they run.
enum class LayerMatrix { query, key, value, attention_output, intermediate, output };

// One encoder layer's parameters, described once: the loader reads them by these names, and the
// tallies, weight_shapes, the execution plan and int8's stored matrices read the same table, so
// a new parameter is one line here (and one in EncoderLayerWeights).
enum class LayerSize { hidden, intermediate };  // a dimension, as the config sizes it
struct LayerLinearSpec {
  LayerMatrix matrix;
  Linear EncoderLayerWeights::*member;
  std::string_view name;   // inside `encoder.layer.N.`: tensors `<name>.weight` [out, in] and `<name>.bias`
  std::string_view label;  // in reports ("products: int8 (Q, K, ...)")
  LayerSize out, in;
};
inline constexpr std::array<LayerLinearSpec, 6> kLayerLinears{{
    {LayerMatrix::query, &EncoderLayerWeights::query, "attention.self.query", "Q", LayerSize::hidden,
     LayerSize::hidden},
    {LayerMatrix::key, &EncoderLayerWeights::key, "attention.self.key", "K", LayerSize::hidden,
     LayerSize::hidden},
    {LayerMatrix::value, &EncoderLayerWeights::value, "attention.self.value", "V", LayerSize::hidden,
     LayerSize::hidden},
    {LayerMatrix::attention_output, &EncoderLayerWeights::attention_output, "attention.output.dense",
     "attention output", LayerSize::hidden, LayerSize::hidden},
    {LayerMatrix::intermediate, &EncoderLayerWeights::intermediate, "intermediate.dense", "FFN in",
     LayerSize::intermediate, LayerSize::hidden},
    {LayerMatrix::output, &EncoderLayerWeights::output, "output.dense", "FFN output", LayerSize::hidden,
     LayerSize::intermediate},
}};
struct LayerNormSpec {
  LayerNormWeights EncoderLayerWeights::*member;
  std::string_view name;  // `<name>.weight` and `<name>.bias` (or TensorFlow's gamma and beta), [hidden]
};
inline constexpr std::array<LayerNormSpec, 2> kLayerNorms{{
    {&EncoderLayerWeights::attention_norm, "attention.output.LayerNorm"},
    {&EncoderLayerWeights::output_norm, "output.LayerNorm"},
}};

static_assert(
    [] {
      for (size_t i = 0; i < kLayerLinears.size(); ++i)
        if (kLayerLinears[i].matrix != static_cast<LayerMatrix>(i)) return false;
      return true;
    }(),
    "kLayerLinears lists the matrices in LayerMatrix's order");

// Where an int8 run's FFN output product runs: int8 like the layer's other products (the default),
// or fp32 from fp16 weights (`--int8-ffn-output fp32`: its input, the GELU output, is the most
// outlier-heavy activation; docs/performance.md "int8" has the measurement behind the default).
enum class Int8FfnOutput { int8, fp32 };

// Whether `--precision int8` multiplies this matrix in int8: every one, except the FFN output when
// the run keeps it in fp32.
constexpr bool int8_product(LayerMatrix matrix, Int8FfnOutput ffn_output) {
  return matrix != LayerMatrix::output || ffn_output == Int8FfnOutput::int8;
}

constexpr const LayerLinearSpec& layer_linear_spec(LayerMatrix matrix) {
  return kLayerLinears[static_cast<size_t>(matrix)];
}
inline const Linear& layer_matrix(const EncoderLayerWeights& layer, LayerMatrix matrix) {
  return layer.*layer_linear_spec(matrix).member;
}
inline int64_t layer_size(const EncoderConfig& config, LayerSize size) {
  return size == LayerSize::hidden ? config.hidden_size : config.intermediate_size;
}

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

  // Bytes of all matrices and vectors as stored (what the weights cost in memory), dropped
  // matrices not counted.
  size_t bytes() const;
  // Lets `layer`'s weight matrix go (only prepacked copies will read it): frees the buffer it was
  // converted into, or returns the pages of the file it is mapped from; leaves its shape. It must
  // be one of this object's matrices.
  void drop_matrix_source(Linear& layer);
  // Number of parameters.
  size_t parameters() const;
};

// Weights with shapes and storage but no data, as a model of this config would load them: enough
// for bytes(), parameters() and an EncoderPlan, which read only those. `pooler` adds the dense
// layer before the classifier; `labels` > 0 adds a classifier with that many outputs.
// `int8_products`: the matrices int8 products multiply (int8_product) held as int8, as a run with
// int8 products loads them.
EncoderWeights weight_shapes(const EncoderConfig& config, DType storage, bool pooler, int labels,
                             bool int8_products = false, Int8FfnOutput ffn_output = Int8FfnOutput::int8);

}  // namespace simscore
