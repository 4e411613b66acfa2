#pragma once
// Reads a model directory as HuggingFace / sentence-transformers ship it — config.json, weights,
// tokenizer files and the sentence-transformers module configs — into the core objects a run needs.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/model/config.h"
#include "core/model/weights.h"
#include "core/scoring/model_scoring.h"
#include "core/tokenizer/tokenizer.h"

namespace simscore::io {

struct ModelLoadOptions {
  DType precision = DType::f16;           // how weight matrices are stored in memory
  bool int8_products = false;             // int8 products read int8-stored matrices in place
  Int8FfnOutput int8_ffn_output = Int8FfnOutput::int8;  // with int8_products: whether FFN output is one
  std::optional<ScoringMode> mode;        // overrides what the directory says
  std::optional<size_t> max_length;       // overrides the effective maximum length
};

struct LoadedModel {
  std::filesystem::path dir;
  std::string name;
  EncoderConfig config;
  EncoderWeights weights;
  std::unique_ptr<Tokenizer> tokenizer;
  std::string tokenizer_kind;
  // Mode, pooling, normalisation and max length as the directory defines them (or as overridden).
  ModelScoring scoring;
  std::string mode_source;        // why this mode, e.g. "classifier weights present"
  std::string max_length_source;  // e.g. "sentence_bert_config.json max_seq_length"
  std::string tensor_layout;      // "BertModel", "BertForSequenceClassification (bert.)", ...
};

struct BertWeightsLayout;

// What the directory says about how to score with the model, without loading weights: mode (and
// why), pooling and normalisation; `mode` (--mode) overrides. ModelError when cross mode is asked
// of a model without classifier weights.
struct ModelDescription {
  ScoringMode mode = ScoringMode::bi;
  std::string mode_source;
  Pooling pooling = Pooling::mean;
  bool normalize = false;
  bool sentence_transformers = false;  // modules.json present
};
ModelDescription describe_model(const std::filesystem::path& dir, const BertWeightsLayout& layout,
                                std::optional<ScoringMode> mode, const std::filesystem::path& weights_path);

// Throws ModelError naming the file and the problem when anything is missing or inconsistent.
LoadedModel load_model(const std::filesystem::path& dir, const ModelLoadOptions& options);

struct MaxLength {
  size_t tokens;
  std::string source;  // where the number came from, for --verbose
};

// The effective maximum length of an encoded input: `requested` (--max-length), else
// sentence_bert_config.json's max_seq_length, else the tokenizer's model_max_length, else
// config.json's max_position_embeddings (512 without a config.json); never more than the positions.
MaxLength effective_max_length(const std::filesystem::path& dir, std::optional<size_t> tokenizer_max,
                               std::optional<size_t> requested);

// Only the config.json part (shapes, for planning and `inspect`).
EncoderConfig read_encoder_config(const std::filesystem::path& config_json);

}  // namespace simscore::io
