#pragma once
// Maps the tensor names of BertModel, BertForSequenceClassification and sentence-transformers
// exports onto EncoderWeights, converting each tensor to the requested storage precision as it is
// read (tensor by tensor: a checkpoint in another precision never sits whole in memory).

#include <memory>
#include <string>
#include <string_view>

#include "core/model/config.h"
#include "core/model/weights.h"
#include "core/ops/int8_linear.h"
#include "io/tensor_source.h"

namespace simscore::io {

struct BertWeightsLayout {
  std::string prefix;   // "" (BertModel, sentence-transformers) or "bert." (…ForSequenceClassification)
  bool has_pooler = false;
  bool has_classifier = false;
  int labels = 0;  // the classifier's outputs (classifier.weight, or RoBERTa's classifier.out_proj)
  int layers = 0;  // encoder.layer.N tensors present: the highest N + 1
  bool has_int8 = false;  // I8 tensors (written by `simscore convert --precision int8`)
};

// Finds where the encoder's tensors are in the file; ModelError listing what was expected and what
// was found when the layout is unknown.
// What the file and config.json must agree on before any weight is read, each refusal naming the
// field: the layer count (config.json num_hidden_layers against the file's encoder.layer.N), and a
// quantization the file declares (kQuantizationKey: "int8" is the only one, and I8 tensors need it).
void check_file_matches_config(const TensorSource& file, const BertWeightsLayout& layout,
                               const EncoderConfig& config, const std::string& config_path);

// Whether `value` survives storage in `storage`: finite, and for fp16 within its range (a finite
// fp32 weight of 65,520 or more becomes infinite in fp16, and every score it touches NaN).
bool representable(float value, DType storage);

BertWeightsLayout detect_bert_layout(const TensorSource& source);

// Loads every tensor the encoder (and, when present and wanted, the pooler and classifier) needs,
// checking shapes against `config`. Matrices stored as int8 (below) are read in place into
// Linear::int8 when `int8_products` (the run multiplies them in int8; the FFN output as
// `ffn_output` says), else widened to `storage`; stored as floats, those are quantized as read.
EncoderWeights load_bert_weights(std::shared_ptr<const TensorSource> source,
                                 const BertWeightsLayout& layout, const EncoderConfig& config,
                                 DType storage, bool with_heads, bool int8_products = false,
                                 Int8FfnOutput ffn_output = Int8FfnOutput::int8);

// int8 storage (`simscore convert --precision int8`): each matrix an int8 run multiplies in int8
// (int8_product_matrix) is a tensor `<name>.weight` of dtype I8 beside `<name>.weight_scale`, F32
// [out]: W[r, :] ~= scale[r] * weight[r, :]. The file's metadata says the quantization and the
// weights' bit width: 7 (|value| <= 63, for CPUs without VNNI) or 8 (|value| <= 127).
inline constexpr std::string_view kInt8ScaleSuffix = "_scale";
inline constexpr std::string_view kQuantizationKey = "simscore.quantization";  // "int8"
inline constexpr std::string_view kInt8BitsKey = "simscore.int8_weight_bits";   // "7" or "8"
// The layer matrices int8 products multiply (int8_product, core/model/weights.h: all of them, or
// all but FFN output with Int8FfnOutput::fp32), in every layer.
bool int8_product_matrix(std::string_view tensor_name, Int8FfnOutput ffn_output = Int8FfnOutput::int8);

// A matrix [out, in] of `source` quantized as an int8 product quantizes it (core/ops/int8_linear.h,
// this CPU's weight limit), from its values rounded to `storage`; read in chunks, so only the one
// matrix is ever held in fp32. ModelError for values `storage` cannot hold.
Int8Matrix quantize_matrix(const TensorSource& source, const TensorInfo& tensor, DType storage);

}  // namespace simscore::io
