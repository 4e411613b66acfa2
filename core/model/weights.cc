#include "core/model/weights.h"

namespace simscore {
namespace {

struct Tally {
  size_t bytes = 0, parameters = 0;
  void add(const TensorView& t) {
    bytes += t.bytes();
    parameters += static_cast<size_t>(t.elements());
  }
  void add(const std::vector<float>& v) {
    bytes += v.size() * sizeof(float);
    parameters += v.size();
  }
  void add(const Linear& l) {
    if (l.int8) {  // a byte per weight and a scale per row
      bytes += static_cast<size_t>(l.weight.elements()) + static_cast<size_t>(l.out_features()) * sizeof(float);
      parameters += static_cast<size_t>(l.weight.elements());
    } else {
      add(l.weight);
    }
    add(l.bias);
  }
  void add(const LayerNormWeights& n) {
    add(n.gamma);
    add(n.beta);
  }
};

Tally tally(const EncoderWeights& w) {
  Tally t;
  t.add(w.word_embeddings);
  t.add(w.position_embeddings);
  t.add(w.token_type_embeddings);
  t.add(w.embedding_norm);
  for (const auto& layer : w.layers) {
    for (const LayerLinearSpec& spec : kLayerLinears) t.add(layer.*spec.member);
    for (const LayerNormSpec& spec : kLayerNorms) t.add(layer.*spec.member);
  }
  if (w.pooler) t.add(*w.pooler);
  if (w.classifier) t.add(*w.classifier);
  return t;
}

}  // namespace

size_t EncoderWeights::bytes() const { return tally(*this).bytes; }
size_t EncoderWeights::parameters() const { return tally(*this).parameters; }

EncoderWeights weight_shapes(const EncoderConfig& c, DType storage, bool pooler, int labels, bool int8_products,
                             Int8FfnOutput ffn_output) {
  const int64_t h = c.hidden_size;
  const auto matrix = [&](int64_t rows, int64_t cols) { return TensorView{storage, {rows, cols}, nullptr}; };
  const auto linear = [&](int64_t out, int64_t in) {
    return Linear{matrix(out, in), std::vector<float>(static_cast<size_t>(out)), std::nullopt};
  };
  const auto norm = [&] {
    return LayerNormWeights{std::vector<float>(static_cast<size_t>(h)), std::vector<float>(static_cast<size_t>(h))};
  };
  EncoderWeights w;
  w.storage = storage;
  w.word_embeddings = matrix(c.vocab_size, h);
  w.position_embeddings = matrix(c.max_position_embeddings, h);
  w.token_type_embeddings = matrix(c.type_vocab_size, h);
  w.embedding_norm = norm();
  for (int i = 0; i < c.num_layers; ++i) {
    EncoderLayerWeights& layer = w.layers.emplace_back();
    for (const LayerLinearSpec& spec : kLayerLinears) {
      Linear& l = layer.*spec.member;
      l = linear(layer_size(c, spec.out), layer_size(c, spec.in));
      if (int8_products && int8_product(spec.matrix, ffn_output)) l.int8 = Int8Storage{};
    }
    for (const LayerNormSpec& spec : kLayerNorms) layer.*spec.member = norm();
  }
  if (pooler) w.pooler = linear(h, h);
  if (labels > 0) w.classifier = linear(labels, h);
  return w;
}

}  // namespace simscore
