#pragma once
// Maps the tensor names of BertModel, BertForSequenceClassification and sentence-transformers
// exports onto EncoderWeights, converting each tensor to the requested storage precision as it is
// read (tensor by tensor: a checkpoint in another precision never sits whole in memory).

#include <memory>
#include <string>

#include "core/model/config.h"
#include "core/model/weights.h"
#include "io/tensor_source.h"

namespace simscore::io {

struct BertWeightsLayout {
  std::string prefix;   // "" (BertModel, sentence-transformers) or "bert." (…ForSequenceClassification)
  bool has_pooler = false;
  bool has_classifier = false;
  int labels = 0;  // the classifier's outputs (classifier.weight, or RoBERTa's classifier.out_proj)
};

// Finds where the encoder's tensors are in the file; ModelError listing what was expected and what
// was found when the layout is unknown.
// Whether `value` survives storage in `storage`: finite, and for fp16 within its range (a finite
// fp32 weight of 65,520 or more becomes infinite in fp16, and every score it touches NaN).
bool representable(float value, DType storage);

BertWeightsLayout detect_bert_layout(const TensorSource& source);

// Loads every tensor the encoder (and, when present and wanted, the pooler and classifier) needs,
// checking shapes against `config`.
EncoderWeights load_bert_weights(std::shared_ptr<const TensorSource> source,
                                 const BertWeightsLayout& layout, const EncoderConfig& config,
                                 DType storage, bool with_heads);

}  // namespace simscore::io
