#include "core/model/weights.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <memory>

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
    if (l.dropped) {  // held by its products alone (packed bytes, counted apart)
      parameters += static_cast<size_t>(l.weight.elements());
    } else if (l.int8) {  // a byte per weight and a scale per row
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

void EncoderWeights::drop_matrix_source(Linear& layer) {
  if (layer.dropped || layer.int8 || !layer.weight.data) return;
  const auto* data = static_cast<const std::byte*>(layer.weight.data);
  bool freed = false;
  for (std::any& owner : owners)  // a buffer of its own (converted as it loaded)
    if (auto* buffer = std::any_cast<std::shared_ptr<std::byte[]>>(&owner); buffer && buffer->get() == data) {
      buffer->reset();
      freed = true;
      break;
    }
  if (!freed) {
    // Mapped in place from the file: give back the pages wholly inside the matrix (a page it
    // shares with a neighbouring tensor stays); they are clean file pages, so nothing is lost.
    const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + page - 1) / page * page;
    const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + layer.weight.bytes()) / page * page;
    if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
  }
  layer.weight.data = nullptr;
  layer.dropped = true;
}
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
