#include "core/encoder/bert_encoder.h"

#include <algorithm>
#include <chrono>
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

// Adds the seconds since construction (or the last lap) to a counter.
class Stopwatch {
 public:
  void lap(double& into) {
    const auto now = std::chrono::steady_clock::now();
    into += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// Calls run(first, rows) for consecutive token slices of at most ActivationLayout::ffn_slice_tokens
// (the rows the feed-forward buffer holds). Each token's feed-forward is independent of the others.
template <typename Run>
void for_each_ffn_slice(int tokens, Run&& run) {
  constexpr int slice = static_cast<int>(ActivationLayout::ffn_slice_tokens);
  for (int first = 0; first < tokens; first += slice) run(first, std::min(slice, tokens - first));
}

}  // namespace

BertEncoder::BertEncoder(const EncoderConfig& config, const EncoderWeights& weights)
    : config_(config), weights_(weights) {
  precision_ = compute_precision_for(weights.storage);
  onednn_ = gemm_backend() != GemmBackend::openblas;
  if (!onednn_) {
    kernel_description_ = openblas_kernel_name() + ", fp32";
    if (weights.storage != DType::f32)
      kernel_description_ += " (weights widened from " + std::string(dtype_name(weights.storage)) +
                             " before each product)";
    return;
  }
  const DType between = precision_ == ComputePrecision::bf16 ? DType::bf16 : DType::f32;
  const WeightLayout layout = weight_layout_for(weights.storage);
  const int h = config.hidden_size, ffn = config.intermediate_size;
  const int ffn_block = ActivationLayout::ffn_block_columns(config);
  layers_.reserve(weights.layers.size());
  for (const EncoderLayerWeights& l : weights.layers) {
    OneDnnLayer& layer = layers_.emplace_back();
    layer.query = matrix_product(l.query, precision_, layout);
    layer.key = matrix_product(l.key, precision_, layout);
    layer.value = matrix_product(l.value, precision_, layout);
    layer.attention_output = matrix_product(l.attention_output, precision_, layout);
    for (int first = 0; first < ffn; first += ffn_block) {
      const int n = std::min(ffn_block, ffn - first);
      const BlockSpec in{.layer = &l.intermediate, .first_out = first, .outputs = n, .first_in = 0,
                         .inputs = h, .activation = config.activation, .output = between};
      const BlockSpec out{.layer = &l.output, .first_out = 0, .outputs = h, .first_in = first, .inputs = n,
                          .bias = first == 0, .accumulate = first > 0, .activation = std::nullopt};
      layer.feed_forward.push_back({LinearBlock(in, precision_, layout), LinearBlock(out, precision_, layout)});
    }
  }
  kernel_description_ =
      onednn_matmul_name(layers_.empty() ? std::string("-") : layers_[0].feed_forward[0].in.kernel_name()) + ", " +
      (precision_ == ComputePrecision::bf16 ? "bf16 inputs and weights, fp32 accumulation" : "fp32") +
      (layout == WeightLayout::prepacked
           ? ", weights prepacked"
           : ", weights as stored, widened from " + std::string(dtype_name(weights.storage)) +
                 " a block at a time");
  if (weights.storage == DType::bf16 && precision_ != ComputePrecision::bf16)
    kernel_description_ += " (bf16 weights widened to fp32: no native bf16 products here, " +
                           bf16_support().description + ")";
  else if (precision_ == ComputePrecision::bf16)
    kernel_description_ += " (" + bf16_support().description + ")";
}

size_t BertEncoder::packed_bytes() const {
  size_t total = 0;
  for (const OneDnnLayer& l : layers_) {
    for (const auto* product : {&l.query, &l.key, &l.value, &l.attention_output})
      for (const LinearBlock& b : *product) total += b.bytes();
    for (const FeedForwardBlock& b : l.feed_forward) total += b.in.bytes() + b.out.bytes();
  }
  return total;
}

size_t BertEncoder::planned_packed_bytes(const EncoderConfig& config, DType storage) {
  if (gemm_backend() == GemmBackend::openblas || weight_layout_for(storage) != WeightLayout::prepacked)
    return 0;
  const size_t element = compute_precision_for(storage) == ComputePrecision::bf16 ? 2 : 4;
  auto padded = [](size_t n) { return (n + 63) / 64 * 64; };  // oneDNN's widest weight block
  const size_t h = static_cast<size_t>(config.hidden_size);
  const size_t ffn = static_cast<size_t>(config.intermediate_size);
  const size_t ffn_block = static_cast<size_t>(ActivationLayout::ffn_block_columns(config));
  size_t per_layer = 4 * padded(h) * padded(h);  // Q, K, V, attention output
  for (size_t first = 0; first < ffn; first += ffn_block)
    per_layer += 2 * padded(h) * padded(std::min(ffn_block, ffn - first));  // FFN in and out
  return static_cast<size_t>(config.num_layers) * per_layer * element;
}

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
  const auto layout = ActivationLayout::plan(config_, weights_, batch.tokens(),
                                             static_cast<size_t>(batch.max_length()), compute_threads());
  float* arena = workspace.prepare(layout);
  Stopwatch clock;
  embed(batch, arena + layout.hidden);
  clock.lap(timings_.other_seconds);
  if (onednn_)
    forward_onednn(batch, layout, arena);
  else
    forward_openblas(batch, layout, arena);
  const double t = static_cast<double>(batch.tokens());
  const double h = config_.hidden_size, ffn = config_.intermediate_size;
  timings_.matmul_flops += config_.num_layers * 2.0 * t * (4.0 * h * h + 2.0 * h * ffn);
  timings_.tokens += batch.tokens();
  timings_.batches += 1;
  // Both paths leave the last hidden states where they started, in layout.hidden (an even number
  // of swaps per layer).
  return arena + layout.hidden;
}

void BertEncoder::forward_onednn(const TokenBatch& batch, const ActivationLayout& layout,
                                 float* arena) const {
  const int tokens = static_cast<int>(batch.tokens());
  const int h = config_.hidden_size;
  const float eps = config_.layer_norm_eps;
  const bool bf16 = precision_ == ComputePrecision::bf16;
  float* hidden = arena + layout.hidden;
  float* spare = arena + layout.spare;
  // Q, K and V one after the other, each [tokens, H].
  float* query = arena + layout.qkv;
  float* key = query + static_cast<size_t>(tokens) * h;
  float* value = key + static_cast<size_t>(tokens) * h;
  float* context = arena + layout.context;
  void* intermediate = arena + layout.intermediate;
  void* rounded = arena + layout.bf16_input;
  float* scratch = arena + layout.weight_scratch;
  // The input of a product as that product reads it: the fp32 buffer, or its bf16 rounding.
  auto product_input = [&](const float* x) -> const void* {
    if (!bf16) return x;
    convert_rows_to_bf16(x, static_cast<size_t>(tokens), static_cast<size_t>(h), rounded);
    return rounded;
  };

  Stopwatch clock;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const OneDnnLayer& products = layers_[i];
    const EncoderLayerWeights& layer = weights_.layers[i];
    const void* x = product_input(hidden);
    clock.lap(timings_.other_seconds);
    run_blocks(products.query, x, tokens, query, scratch);
    run_blocks(products.key, x, tokens, key, scratch);
    run_blocks(products.value, x, tokens, value, scratch);
    clock.lap(timings_.matmul_seconds);
    self_attention(batch, config_.num_heads, config_.head_dim(), query, key, value, h, context,
                   arena + layout.scores);
    clock.lap(timings_.attention_seconds);
    x = product_input(context);
    clock.lap(timings_.other_seconds);
    run_blocks(products.attention_output, x, tokens, spare, scratch);
    clock.lap(timings_.matmul_seconds);
    // spare = LayerNorm(context W_o + b_o + hidden); the bias was added in the product.
    add_bias_residual_layer_norm(spare, nullptr, hidden, tokens, h, layer.attention_norm, eps);
    std::swap(hidden, spare);
    x = product_input(hidden);
    clock.lap(timings_.other_seconds);
    for (const FeedForwardBlock& block : products.feed_forward) {
      block.in(x, tokens, intermediate, scratch);  // bias and GELU fused, fp32 before rounding
      block.out(intermediate, tokens, spare, scratch);
    }
    clock.lap(timings_.matmul_seconds);
    add_bias_residual_layer_norm(spare, nullptr, hidden, tokens, h, layer.output_norm, eps);
    std::swap(hidden, spare);
    clock.lap(timings_.other_seconds);
  }
}

void BertEncoder::forward_openblas(const TokenBatch& batch, const ActivationLayout& layout,
                                   float* arena) const {
  const int tokens = static_cast<int>(batch.tokens());
  const int h = config_.hidden_size;
  const int ffn = config_.intermediate_size;
  const float eps = config_.layer_norm_eps;
  float* hidden = arena + layout.hidden;
  float* spare = arena + layout.spare;
  float* qkv = arena + layout.qkv;
  float* context = arena + layout.context;
  float* intermediate = arena + layout.intermediate;
  float* scratch = arena + layout.weight_scratch;

  Stopwatch clock;
  for (const EncoderLayerWeights& layer : weights_.layers) {
    linear(hidden, tokens, layer.query, qkv, scratch, 3 * h);
    linear(hidden, tokens, layer.key, qkv + h, scratch, 3 * h);
    linear(hidden, tokens, layer.value, qkv + 2 * h, scratch, 3 * h);
    clock.lap(timings_.matmul_seconds);
    self_attention(batch, config_.num_heads, config_.head_dim(), qkv, qkv + h, qkv + 2 * h, 3 * h,
                   context, arena + layout.scores);
    clock.lap(timings_.attention_seconds);
    // spare = LayerNorm(context W_o + b_o + hidden)
    linear(context, tokens, layer.attention_output, spare, scratch);
    clock.lap(timings_.matmul_seconds);
    add_bias_residual_layer_norm(spare, nullptr, hidden, tokens, h, layer.attention_norm, eps);
    std::swap(hidden, spare);
    clock.lap(timings_.other_seconds);
    for_each_ffn_slice(tokens, [&](int first, int rows) {
      const size_t at = static_cast<size_t>(first) * h;
      linear(hidden + at, rows, layer.intermediate, intermediate, scratch);
      clock.lap(timings_.matmul_seconds);
      add_bias_activation(intermediate, nullptr, rows, ffn, config_.activation);
      clock.lap(timings_.other_seconds);
      linear(intermediate, rows, layer.output, spare + at, scratch);
      clock.lap(timings_.matmul_seconds);
    });
    add_bias_residual_layer_norm(spare, nullptr, hidden, tokens, h, layer.output_norm, eps);
    std::swap(hidden, spare);
    clock.lap(timings_.other_seconds);
  }
}

}  // namespace simscore
