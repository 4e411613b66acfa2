#include "core/encoder/encoder_plan.h"

#include <algorithm>
#include <string>

#include "core/ops/gemm.h"

namespace simscore {
namespace {

PlannedProduct planned(LayerMatrix matrix, const BlockSpec& spec, DType storage,
                       const ProductBackend& backend) {
  return {matrix, spec, backend, plan_product(spec, storage, backend)};
}

// Blocks of output features of a whole [out, in] matrix: one when prepacked (or on OpenBLAS),
// blocks of about 4 MiB when streamed through oneDNN. Each writes its own columns of y.
std::vector<PlannedProduct> matrix_blocks(LayerMatrix matrix, int out, int in, int ldy, DType storage,
                                          const ProductBackend& backend) {
  const bool blocked = backend.kind != GemmBackend::openblas && backend.layout == WeightLayout::streamed;
  const int block = blocked ? widen_block_rows(in, out) : out;
  std::vector<PlannedProduct> blocks;
  for (int first = 0; first < out; first += block) {
    const BlockSpec spec{.first_out = first, .outputs = std::min(block, out - first), .first_in = 0,
                         .inputs = in, .ldy = ldy ? ldy : out};
    blocks.push_back(planned(matrix, spec, storage, backend));
  }
  return blocks;
}

LayerPlan plan_layer(const EncoderConfig& config, DType storage, const ProductBackend& backend) {
  const int h = config.hidden_size, ffn = config.intermediate_size;
  LayerPlan layer;
  if (backend.kind == GemmBackend::openblas) {
    // Q, K and V side by side in one [tokens, 3H] buffer.
    layer.query = matrix_blocks(LayerMatrix::query, h, h, 3 * h, storage, backend);
    layer.key = matrix_blocks(LayerMatrix::key, h, h, 3 * h, storage, backend);
    layer.value = matrix_blocks(LayerMatrix::value, h, h, 3 * h, storage, backend);
    layer.attention_output = matrix_blocks(LayerMatrix::attention_output, h, h, 0, storage, backend);
    const BlockSpec in{.outputs = ffn, .inputs = h, .activation = config.activation};
    const BlockSpec out{.outputs = h, .inputs = ffn};
    layer.feed_forward.emplace_back(planned(LayerMatrix::intermediate, in, storage, backend),
                                    planned(LayerMatrix::output, out, storage, backend));
    layer.qkv_side_by_side = true;
    layer.ffn_slice_tokens = ActivationLayout::ffn_slice_tokens;
    return layer;
  }
  // oneDNN: every product writes a dense [tokens, columns] block, the layout its fastest (brgemm)
  // kernels need; Q, then K, then V.
  layer.query = matrix_blocks(LayerMatrix::query, h, h, 0, storage, backend);
  layer.key = matrix_blocks(LayerMatrix::key, h, h, 0, storage, backend);
  layer.value = matrix_blocks(LayerMatrix::value, h, h, 0, storage, backend);
  layer.attention_output = matrix_blocks(LayerMatrix::attention_output, h, h, 0, storage, backend);
  const ProductBackend ffn_output = ffn_output_backend(backend);
  const int ffn_block = ActivationLayout::ffn_block_columns(config);
  for (int first = 0; first < ffn; first += ffn_block) {
    const int n = std::min(ffn_block, ffn - first);
    const BlockSpec in{.first_out = first, .outputs = n, .first_in = 0, .inputs = h,
                       .activation = config.activation, .output = ffn_output.activation_dtype()};
    const BlockSpec out{.first_out = 0, .outputs = h, .first_in = first, .inputs = n, .bias = first == 0,
                        .accumulate = first > 0, .activation = std::nullopt};
    layer.feed_forward.emplace_back(planned(LayerMatrix::intermediate, in, storage, backend),
                                    planned(LayerMatrix::output, out, storage, ffn_output));
  }
  return layer;
}

template <typename F>
void for_each_product(const LayerPlan& layer, F&& f) {
  for (const auto* products : {&layer.query, &layer.key, &layer.value, &layer.attention_output})
    for (const PlannedProduct& p : *products) f(p);
  for (const auto& [in, out] : layer.feed_forward) f(in), f(out);
}

const char* precision_name(ComputePrecision p) {
  switch (p) {
    case ComputePrecision::f32: return "fp32";
    case ComputePrecision::bf16: return "bf16";
    case ComputePrecision::int8: return "int8";
  }
  return "?";
}

}  // namespace

ProductBackend ffn_output_backend(const ProductBackend& backend) {
  if (backend.precision != ComputePrecision::int8 || backend.int8_ffn_output == Int8FfnOutput::int8) return backend;
  // fp32 (the FFN input product, int8, writes fp32), weights held as an fp32 run holds them.
  ProductBackend out = backend;
  out.precision = ComputePrecision::f32;
  out.layout = backend.kind == GemmBackend::onednn_prepacked ? WeightLayout::prepacked : WeightLayout::streamed;
  return out;
}

EncoderPlan::EncoderPlan(const EncoderConfig& config, const EncoderWeights& weights, const ProductBackend& backend,
                         int threads)
    : config_(config), backend_(backend), storage_(weights.storage), threads_(threads) {
  parameters_ = weights.parameters();
  // Every layer has the same shapes: plan one, and let each layer have its copy.
  const LayerPlan layer = plan_layer(config, storage_, backend);
  layers_.assign(static_cast<size_t>(config.num_layers), layer);
  weights_bytes_ = weights.bytes();
  for (const EncoderLayerWeights& l : weights.layers)
    for (const LayerLinearSpec& spec : kLayerLinears)
      if (const Linear& m = l.*spec.member; held_as_copies(spec.matrix) && !m.dropped && !m.int8)
        weights_bytes_ -= m.weight.bytes();
  size_t layer_packed = 0;
  for_each_product(layer, [&](const PlannedProduct& p) {
    layer_packed += p.cost.packed_bytes;
    scratch_floats_ = std::max(scratch_floats_, p.cost.scratch_floats);
  });
  packed_bytes_ = layer_packed * layers_.size();
  // The scoring heads run through `linear`, widening their weights into the same scratch.
  if (weights.pooler) head_scratch_floats_ = std::max(head_scratch_floats_, linear_scratch_floats(*weights.pooler));
  if (weights.classifier)
    head_scratch_floats_ = std::max(head_scratch_floats_, linear_scratch_floats(*weights.classifier));
  scratch_floats_ = std::max(scratch_floats_, head_scratch_floats_);
}

bool EncoderPlan::held_as_copies(LayerMatrix matrix) const {
  if (layers_.empty()) return false;
  bool any = false, all = true;
  for_each_product(layers_[0], [&](const PlannedProduct& p) {
    if (p.matrix != matrix) return;
    any = true;
    all = all && p.backend.kind != GemmBackend::openblas && p.backend.precision != ComputePrecision::int8 &&
          p.backend.layout == WeightLayout::prepacked;
  });
  return any && all;
}

void drop_prepacked_sources(EncoderWeights& weights, const EncoderPlan& plan, std::optional<size_t> layer) {
  for (size_t i = 0; i < weights.layers.size(); ++i)
    if (!layer || *layer == i)
      for (const LayerLinearSpec& spec : kLayerLinears)
        if (plan.held_as_copies(spec.matrix)) weights.drop_matrix_source(weights.layers[i].*spec.member);
}

size_t EncoderPlan::scratch_floats(size_t rows) const {
  // Every product of a layer runs on all of a batch's rows (the OpenBLAS FFN's token slices have
  // no per-row scratch).
  size_t floats = head_scratch_floats_;
  if (!layers_.empty())
    for_each_product(layers_[0], [&](const PlannedProduct& p) {
      floats = std::max(floats, p.cost.scratch_floats_for(rows));
    });
  return floats;
}

std::string EncoderPlan::precisions() const {
  if (layers_.empty()) return precision_name(backend_.precision);
  // Matrices in the order they run, grouped by precision in order of first appearance.
  std::vector<std::pair<ComputePrecision, std::vector<LayerMatrix>>> groups;
  for_each_product(layers_[0], [&](const PlannedProduct& p) {
    auto group = std::find_if(groups.begin(), groups.end(),
                              [&](const auto& g) { return g.first == p.backend.precision; });
    if (group == groups.end()) group = groups.insert(groups.end(), {p.backend.precision, {}});
    if (std::find(group->second.begin(), group->second.end(), p.matrix) == group->second.end())
      group->second.push_back(p.matrix);
  });
  if (groups.size() == 1) return precision_name(groups[0].first);
  std::string out;
  for (const auto& [precision, matrices] : groups) {
    out += (out.empty() ? "" : ", ") + std::string(precision_name(precision)) + " (";
    for (size_t i = 0; i < matrices.size(); ++i) out += (i ? ", " : "") + std::string(layer_linear_spec(matrices[i]).label);
    out += ")";
  }
  return out;
}

ActivationLayout EncoderPlan::activations(size_t tokens, size_t max_length) const {
  return activations(tokens, max_length, threads_);
}

ActivationLayout EncoderPlan::activations(size_t tokens, size_t max_length, int threads) const {
  const size_t h = static_cast<size_t>(config_.hidden_size);
  ActivationLayout l;
  size_t at = 0;
  auto take = [&at](size_t floats) {
    const size_t start = at;
    at += (floats + 15) / 16 * 16;  // whole cache lines per buffer
    return start;
  };
  const bool bf16 = backend_.precision == ComputePrecision::bf16;
  auto halves = [](size_t elements) { return (elements + 1) / 2; };
  l.hidden = take(tokens * h);
  l.spare = take(tokens * h);
  l.qkv = take(tokens * 3 * h);
  l.context = take(tokens * h);
  // What the FFN input products write (fp32, or bf16 for bf16 products): the widest block, over a
  // token slice or all tokens, as the layer plan runs them.
  size_t intermediate_floats = 0;
  if (!layers_.empty()) {
    const LayerPlan& layer = layers_.front();
    const size_t rows = layer.ffn_slice_tokens ? std::min(tokens, layer.ffn_slice_tokens) : tokens;
    for (const auto& [in, out] : layer.feed_forward)
      intermediate_floats = std::max(
          intermediate_floats,
          (rows * static_cast<size_t>(in.spec.outputs) * dtype_size(in.spec.output) + sizeof(float) - 1) / sizeof(float));
  }
  l.intermediate = take(intermediate_floats);
  l.bf16_input = take(bf16 ? halves(tokens * h) : 0);
  l.scores = take(static_cast<size_t>(threads) * ActivationLayout::scores_stride(max_length));
  l.weight_scratch = take(scratch_floats(tokens));
  l.total = at;
  return l;
}

size_t EncoderPlan::arena_bytes(size_t tokens, size_t max_length) const {
  return activations(tokens, max_length).total * sizeof(float);
}

double EncoderPlan::matmul_flops(double tokens) const {
  const double h = config_.hidden_size, ffn = config_.intermediate_size;
  return config_.num_layers * 2.0 * tokens * (4.0 * h * h + 2.0 * h * ffn);
}

double EncoderPlan::flops(double tokens, double mean_length) const {
  // Plus Q K^T and P V: 2 * 2 * length * H per token and layer.
  return matmul_flops(tokens) + config_.num_layers * tokens * 4.0 * mean_length * config_.hidden_size;
}

}  // namespace simscore
