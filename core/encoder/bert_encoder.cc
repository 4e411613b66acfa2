#include "core/encoder/bert_encoder.h"

#include <utility>

#include "core/encoder/attention.h"
#include "core/ops/activation.h"
#include "core/ops/convert.h"
#include "core/ops/gemm.h"
#include "core/ops/layer_norm.h"

namespace simscore {
namespace {

// Row `row` of an embedding table, widened to fp32 and added into out[0, cols).
void add_embedding_row(const TensorView& table, int64_t row, int cols, float* out, float* tmp) {
  const auto* bytes = static_cast<const char*>(table.data) + row * cols * dtype_size(table.dtype);
  convert_to_f32(bytes, table.dtype, tmp, static_cast<size_t>(cols));
  for (int c = 0; c < cols; ++c) out[c] += tmp[c];
}

}  // namespace

BertEncoder::BertEncoder(const EncoderConfig& config, const EncoderWeights& weights)
    : config_(config), weights_(weights) {}

void BertEncoder::embed(const TokenBatch& batch, float* out) const {
  const int h = config_.hidden_size;
  const int sequences = static_cast<int>(batch.sequences());
#pragma omp parallel
  {
    std::vector<float> tmp(static_cast<size_t>(h));
#pragma omp for schedule(static)
    for (int s = 0; s < sequences; ++s) {
      for (int p = 0; p < batch.lengths[s]; ++p) {
        const size_t t = batch.offsets[s] + static_cast<size_t>(p);
        float* row = out + t * h;
        std::fill(row, row + h, 0.0f);
        add_embedding_row(weights_.word_embeddings, batch.ids[t], h, row, tmp.data());
        add_embedding_row(weights_.position_embeddings, p + config_.position_offset, h, row, tmp.data());
        add_embedding_row(weights_.token_type_embeddings, batch.type_ids[t], h, row, tmp.data());
      }
    }
  }
  add_bias_residual_layer_norm(out, nullptr, nullptr, static_cast<int>(batch.tokens()), h,
                               weights_.embedding_norm, config_.layer_norm_eps);
}

const float* BertEncoder::forward(const TokenBatch& batch, Workspace& workspace) const {
  const int tokens = static_cast<int>(batch.tokens());
  const int h = config_.hidden_size;
  const int ffn = config_.intermediate_size;
  const float eps = config_.layer_norm_eps;
  const auto layout = ActivationLayout::plan(config_, weights_, batch.tokens(),
                                             static_cast<size_t>(batch.max_length()), compute_threads());
  float* arena = workspace.prepare(layout);
  float* hidden = arena + layout.hidden;
  float* spare = arena + layout.spare;
  float* scratch = arena + layout.weight_scratch;

  embed(batch, hidden);
  for (const EncoderLayerWeights& layer : weights_.layers) {
    float* q = arena + layout.query;
    float* k = arena + layout.key;
    float* v = arena + layout.value;
    float* context = arena + layout.context;
    linear(hidden, tokens, layer.query, q, scratch);
    linear(hidden, tokens, layer.key, k, scratch);
    linear(hidden, tokens, layer.value, v, scratch);
    self_attention(batch, config_.num_heads, config_.head_dim(), q, k, v, context,
                   arena + layout.scores);
    // spare = LayerNorm(context W_o + b_o + hidden)
    linear(context, tokens, layer.attention_output, spare, scratch);
    add_bias_residual_layer_norm(spare, nullptr, hidden, tokens, h, layer.attention_norm, eps);
    std::swap(hidden, spare);

    float* intermediate = arena + layout.intermediate;
    linear(hidden, tokens, layer.intermediate, intermediate, scratch);
    add_bias_activation(intermediate, nullptr, tokens, ffn, config_.activation);
    linear(intermediate, tokens, layer.output, spare, scratch);
    add_bias_residual_layer_norm(spare, nullptr, hidden, tokens, h, layer.output_norm, eps);
    std::swap(hidden, spare);
  }
  return hidden;
}

}  // namespace simscore
