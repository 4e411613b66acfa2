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
    add(l.weight);
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
    for (const Linear* l : {&layer.query, &layer.key, &layer.value, &layer.attention_output,
                            &layer.intermediate, &layer.output})
      t.add(*l);
    t.add(layer.attention_norm);
    t.add(layer.output_norm);
  }
  if (w.pooler) t.add(*w.pooler);
  if (w.classifier) t.add(*w.classifier);
  return t;
}

}  // namespace

size_t EncoderWeights::bytes() const { return tally(*this).bytes; }
size_t EncoderWeights::parameters() const { return tally(*this).parameters; }

}  // namespace simscore
