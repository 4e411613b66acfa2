#include "core/encoder/bert_encoder.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "core/encoder/attention.h"
#include "core/ops/convert.h"
#include "core/ops/gemm.h"
#include "core/ops/int8_linear.h"
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

// Each product runs on the backend its plan entry names (int8 plans keep the FFN output in fp32).
std::unique_ptr<Product> build(const PlannedProduct& planned, const EncoderLayerWeights& layer) {
  BlockSpec spec = planned.spec;
  spec.layer = &layer_matrix(layer, planned.matrix);
  return make_product(spec, planned.backend);
}

std::vector<std::unique_ptr<Product>> build(const std::vector<PlannedProduct>& planned,
                                            const EncoderLayerWeights& layer) {
  std::vector<std::unique_ptr<Product>> products;
  for (const PlannedProduct& p : planned) products.push_back(build(p, layer));
  return products;
}

// How the weights of an fp32 oneDNN product are held.
std::string weights_held(WeightLayout layout, DType storage) {
  return layout == WeightLayout::prepacked
             ? std::string("weights prepacked")
             : "weights as stored, widened from " + std::string(dtype_name(storage)) + " a block at a time";
}

std::string int8_description(const EncoderPlan& plan, const std::string& int8_kernel,
                             const std::string& ffn_output_kernel) {
  std::string d = onednn_matmul_name(int8_kernel) + " (u8 x s8 -> s32): int8 weights, one scale per output row (" +
                  int8_kernel_isa() + "), int8 inputs, one scale per token; fp32 dequantization, bias, GELU, " +
                  "running sums; attention, softmax, LayerNorm and pooling in fp32; products: " + plan.precisions();
  const ProductBackend out = ffn_output_backend(plan.backend());
  if (out.precision != ComputePrecision::int8)
    d += "; the FFN output product (its input is the GELU output) in fp32: " + onednn_matmul_name(ffn_output_kernel) +
         ", " + weights_held(out.layout, plan.storage());
  return d;
}

}  // namespace

BertEncoder::BertEncoder(const EncoderConfig& config, const EncoderWeights& weights, GemmBackend kind)
    : BertEncoder(config, weights,
                  EncoderPlan(config, weights, ProductBackend::for_storage(kind, weights.storage), compute_threads())) {}

BertEncoder::BertEncoder(const EncoderConfig& config, const EncoderWeights& weights, EncoderPlan plan,
                         EncoderWeights* drop_sources)
    : config_(config), weights_(weights), plan_(std::move(plan)) {
  const ProductBackend& backend = plan_.backend();
  layers_.reserve(weights.layers.size());
  for (size_t i = 0; i < weights.layers.size(); ++i) {
    const LayerPlan& planned = plan_.layers().at(i);
    const EncoderLayerWeights& l = weights.layers[i];
    LayerProducts& layer = layers_.emplace_back();
    layer.query = build(planned.query, l);
    layer.key = build(planned.key, l);
    layer.value = build(planned.value, l);
    layer.attention_output = build(planned.attention_output, l);
    for (const auto& [in, out] : planned.feed_forward) layer.feed_forward.emplace_back(build(in, l), build(out, l));
    if (drop_sources) drop_prepacked_sources(*drop_sources, plan_, i);
  }
  if (backend.kind == GemmBackend::openblas) {
    kernel_description_ = openblas_kernel_name() + ", fp32";
    if (weights.storage != DType::f32)
      kernel_description_ += " (weights widened from " + std::string(dtype_name(weights.storage)) +
                             " before each product)";
    return;
  }
  const bool bf16 = backend.precision == ComputePrecision::bf16;
  const std::string kernel = layers_.empty() ? std::string("-") : layers_[0].feed_forward[0].first->kernel_name();
  if (backend.precision == ComputePrecision::int8) {
    kernel_description_ = int8_description(
        plan_, kernel, layers_.empty() ? std::string("-") : layers_[0].feed_forward[0].second->kernel_name());
    return;
  }
  kernel_description_ = onednn_matmul_name(kernel) + ", " +
                        (bf16 ? "bf16 inputs and weights, fp32 accumulation" : "fp32") + ", " +
                        weights_held(backend.layout, weights.storage);
  if (weights.storage == DType::bf16 && !bf16)
    kernel_description_ += " (bf16 weights widened to fp32: no native bf16 products here, " +
                           bf16_support().description + ")";
  else if (bf16)
    kernel_description_ += " (" + bf16_support().description + ")";
}

size_t BertEncoder::packed_bytes() const {
  size_t total = 0;
  for (const LayerProducts& l : layers_) {
    for (const auto* products : {&l.query, &l.key, &l.value, &l.attention_output})
      for (const auto& p : *products) total += p->bytes();
    for (const auto& [in, out] : l.feed_forward) total += in->bytes() + out->bytes();
  }
  return total;
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
  const auto layout =
      plan_.activations(batch.tokens(), static_cast<size_t>(batch.max_length()), compute_threads());
  float* arena = workspace.prepare(layout);
  Stopwatch clock;
  embed(batch, arena + layout.hidden);
  clock.lap(timings_.other_seconds);
  run_layers(batch, layout, arena);
  timings_.matmul_flops += plan_.matmul_flops(static_cast<double>(batch.tokens()));
  timings_.tokens += batch.tokens();
  timings_.batches += 1;
  // The layers leave the last hidden states where they started, in layout.hidden (an even number
  // of swaps per layer).
  return arena + layout.hidden;
}

void BertEncoder::run_layers(const TokenBatch& batch, const ActivationLayout& layout, float* arena) const {
  const int tokens = static_cast<int>(batch.tokens());
  const int h = config_.hidden_size;
  const float eps = config_.layer_norm_eps;
  const bool bf16 = plan_.backend().precision == ComputePrecision::bf16;
  const size_t input_element = dtype_size(plan_.backend().activation_dtype());
  float* hidden = arena + layout.hidden;
  float* spare = arena + layout.spare;
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
    const LayerProducts& products = layers_[i];
    const LayerPlan& planned = plan_.layers()[i];
    const EncoderLayerWeights& layer = weights_.layers[i];
    // Q, K and V where the plan puts them: columns of [tokens, 3H] rows, or three [tokens, H] blocks.
    float* query = arena + layout.qkv;
    const size_t next = planned.qkv_side_by_side ? static_cast<size_t>(h) : static_cast<size_t>(tokens) * h;
    float* key = query + next;
    float* value = key + next;
    const int qkv_stride = planned.qkv_side_by_side ? 3 * h : h;
    const void* x = product_input(hidden);
    clock.lap(timings_.other_seconds);
    run_blocks(products.query, x, tokens, query, scratch);
    run_blocks(products.key, x, tokens, key, scratch);
    run_blocks(products.value, x, tokens, value, scratch);
    clock.lap(timings_.matmul_seconds);
    self_attention(batch, config_.num_heads, config_.head_dim(), query, key, value, qkv_stride, context,
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
    // Each token's feed-forward block is independent of the others': slices of tokens, each through
    // every (in, out) pair (`in` adds the bias and applies the activation in fp32, before any rounding).
    const int slice = planned.ffn_slice_tokens ? static_cast<int>(planned.ffn_slice_tokens) : std::max(tokens, 1);
    for (int first = 0; first < tokens; first += slice) {
      const int rows = std::min(slice, tokens - first);
      const void* slice_input = static_cast<const char*>(x) + static_cast<size_t>(first) * h * input_element;
      float* slice_output = spare + static_cast<size_t>(first) * h;
      for (const auto& pair : products.feed_forward) {
        (*pair.first)(slice_input, rows, intermediate, scratch);
        (*pair.second)(intermediate, rows, slice_output, scratch);
      }
    }
    clock.lap(timings_.matmul_seconds);
    add_bias_residual_layer_norm(spare, nullptr, hidden, tokens, h, layer.output_norm, eps);
    std::swap(hidden, spare);
    clock.lap(timings_.other_seconds);
  }
}

}  // namespace simscore
