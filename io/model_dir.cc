#include "io/model_dir.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "io/bert_weights.h"
#include "io/json_file.h"
#include "io/model_locator.h"
#include "io/tensor_source.h"
#include "io/tokenizer_files.h"

namespace simscore::io {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Activation parse_activation(const std::string& name, const fs::path& path) {
  if (name == "gelu") return Activation::gelu_erf;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast")
    return Activation::gelu_tanh;
  if (name == "relu") return Activation::relu;
  throw ModelError(fmt::format("{}: hidden_act \"{}\" is not supported (gelu, gelu_new, relu are)",
                               path.string(), name));
}

struct SentenceTransformersModules {
  bool present = false;
  Pooling pooling = Pooling::mean;
  bool normalize = false;
};

Pooling read_pooling(const fs::path& path) {
  const json j = read_json_file(path);
  if (j.contains("pooling_mode") && j["pooling_mode"].is_string()) {
    const auto mode = j["pooling_mode"].get<std::string>();
    if (mode == "mean") return Pooling::mean;
    if (mode == "cls") return Pooling::cls;
    if (mode == "max") return Pooling::max;
    if (mode == "mean_sqrt_len_tokens") return Pooling::mean_sqrt_len;
    throw ModelError(fmt::format("{}: pooling_mode \"{}\" is not supported", path.string(), mode));
  }
  std::vector<Pooling> modes;
  if (json_field<bool>(j, "pooling_mode_cls_token", false, path)) modes.push_back(Pooling::cls);
  if (json_field<bool>(j, "pooling_mode_mean_tokens", false, path)) modes.push_back(Pooling::mean);
  if (json_field<bool>(j, "pooling_mode_max_tokens", false, path)) modes.push_back(Pooling::max);
  if (json_field<bool>(j, "pooling_mode_mean_sqrt_len_tokens", false, path)) modes.push_back(Pooling::mean_sqrt_len);
  for (const char* unsupported : {"pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"})
    if (json_field<bool>(j, unsupported, false, path))
      throw ModelError(fmt::format("{}: {} is not supported", path.string(), unsupported));
  if (modes.size() != 1)
    throw ModelError(fmt::format("{}: exactly one pooling mode must be on (found {}); "
                                 "concatenated poolings are not supported",
                                 path.string(), modes.size()));
  return modes.front();
}

// modules.json lists the sentence-transformers pipeline: Transformer, then Pooling, then optionally
// Normalize. Any other module would change the embedding, so it is refused rather than ignored.
SentenceTransformersModules read_modules(const fs::path& dir) {
  SentenceTransformersModules st;
  const fs::path path = dir / "modules.json";
  if (!fs::exists(path)) return st;
  st.present = true;
  bool has_pooling = false;
  size_t index = 0;
  for (const json& module : read_json_file(path)) {
    const std::string type = json_field<std::string>(module, "type", "", path);
    const std::string subdir = json_field<std::string>(module, "path", "", path);
    if (type.empty())
      throw ModelError(fmt::format("{}: module {} (path \"{}\") has no \"type\"; Transformer, Pooling "
                                   "and Normalize are supported",
                                   path.string(), index, subdir));
    ++index;
    // The class name is what matters: sentence-transformers moved the modules between releases
    // (sentence_transformers.models.Pooling, ...sentence_transformer.modules.pooling.Pooling).
    const std::string kind = type.substr(type.rfind('.') + 1);
    if (kind == "Transformer") continue;
    if (kind == "Pooling") {
      st.pooling = read_pooling(dir / subdir / "config.json");
      has_pooling = true;
    } else if (kind == "Normalize") {
      st.normalize = true;
    } else {
      throw ModelError(fmt::format("{}: module {} is not supported (Transformer, Pooling and "
                                   "Normalize are)",
                                   path.string(), type));
    }
  }
  if (!has_pooling)
    throw ModelError(fmt::format("{}: no Pooling module listed", path.string()));
  return st;
}

// Label names by index, from config.json's id2label (else label2id), else ModelScope's
// configuration.json (top level or under "model"); empty when no file names them.
std::vector<std::string> read_label_names(const fs::path& dir, size_t labels) {
  std::vector<std::string> names(labels);
  const auto from = [&](const json& j) {
    bool found = false;
    if (j.contains("id2label") && j["id2label"].is_object()) {
      for (const auto& [id, name] : j["id2label"].items()) {
        const size_t i = static_cast<size_t>(std::strtoul(id.c_str(), nullptr, 10));
        if (i < labels && name.is_string()) names[i] = name.get<std::string>(), found = true;
      }
    } else if (j.contains("label2id") && j["label2id"].is_object()) {
      for (const auto& [name, id] : j["label2id"].items())
        if (id.is_number_integer() && id.get<int64_t>() >= 0 &&
            static_cast<size_t>(id.get<int64_t>()) < labels)
          names[id.get<size_t>()] = name, found = true;
    }
    return found;
  };
  if (from(read_json_file(dir / "config.json"))) return names;
  const fs::path modelscope = dir / "configuration.json";
  if (fs::exists(modelscope)) {
    const json j = read_json_file(modelscope);
    if (from(j) || (j.contains("model") && j["model"].is_object() && from(j["model"]))) return names;
  }
  return {};
}

// The label whose probability is the similarity score: the one a model's config names "1",
// "similar", "相似", ... (LCQMC / ModelScope sentence-similarity spell it "1"); -1 when none is.
int similar_label(const std::vector<std::string>& names) {
  static const std::vector<std::string> kSimilar = {"1", "similar", "相似", "duplicate",
                                                    "paraphrase", "same", "yes", "true"};
  int found = -1;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string lower = names[i];
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (std::find(kSimilar.begin(), kSimilar.end(), lower) == kSimilar.end()) continue;
    if (found >= 0) return -1;  // two "similar" labels: ambiguous, fall back to the default
    found = static_cast<int>(i);
  }
  return found;
}

}  // namespace

EncoderConfig read_encoder_config(const fs::path& path) {
  const json j = read_json_file(path);
  EncoderConfig c;
  c.model_type = json_field<std::string>(j, "model_type", "bert", path);
  // ModelScope's StructBERT (SbertModel) is BERT's architecture under BERT's tensor names.
  // RoBERTa / XLM-R: the same encoder, with position ids counted from pad_token_id + 1 (fairseq
  // reserves the positions up to the padding index) and usually a single token type.
  const bool roberta = c.model_type == "roberta" || c.model_type == "xlm-roberta";
  if (c.model_type != "bert" && c.model_type != "structbert" && !roberta)
    throw ModelError(fmt::format("{}: model_type \"{}\" is not supported (bert, structbert, "
                                 "roberta, xlm-roberta are)",
                                 path.string(), c.model_type));
  c.vocab_size = json_required<int>(j, "vocab_size", path);
  c.hidden_size = json_required<int>(j, "hidden_size", path);
  c.num_layers = json_required<int>(j, "num_hidden_layers", path);
  c.num_heads = json_required<int>(j, "num_attention_heads", path);
  c.intermediate_size = json_required<int>(j, "intermediate_size", path);
  c.max_position_embeddings = json_required<int>(j, "max_position_embeddings", path);
  // Each size checked on its own, so the message names the field that is wrong.
  const auto require_positive = [&](const char* field, int value) {
    if (value <= 0)
      throw ModelError(fmt::format("{}: {} is {}; it must be a positive number", path.string(), field, value));
  };
  require_positive("vocab_size", c.vocab_size);
  require_positive("hidden_size", c.hidden_size);
  require_positive("num_hidden_layers", c.num_layers);
  require_positive("num_attention_heads", c.num_heads);
  require_positive("intermediate_size", c.intermediate_size);
  require_positive("max_position_embeddings", c.max_position_embeddings);
  if (c.hidden_size % c.num_heads != 0)
    throw ModelError(fmt::format("{}: hidden_size {} is not a multiple of num_attention_heads {}",
                                 path.string(), c.hidden_size, c.num_heads));
  if (roberta) {
    const int pad_token_id = json_field<int>(j, "pad_token_id", 1, path);
    if (pad_token_id < 0 || pad_token_id >= c.max_position_embeddings)
      throw ModelError(fmt::format("{}: pad_token_id {} is outside the {} positions", path.string(),
                                   pad_token_id, c.max_position_embeddings));
    c.position_offset = pad_token_id + 1;
  }
  c.type_vocab_size = json_field<int>(j, "type_vocab_size", 2, path);
  c.layer_norm_eps = json_field<float>(j, "layer_norm_eps", 1e-12f, path);
  c.activation = parse_activation(json_field<std::string>(j, "hidden_act", "gelu", path), path);
  const auto position_embedding = json_field<std::string>(j, "position_embedding_type", "absolute", path);
  if (position_embedding != "absolute")
    throw ModelError(fmt::format("{}: position_embedding_type \"{}\" is not supported (absolute is)",
                                 path.string(), position_embedding));
  require_positive("type_vocab_size", c.type_vocab_size);
  if (c.max_position_embeddings <= c.position_offset)  // RoBERTa: positions up to the padding index are reserved
    throw ModelError(fmt::format("{}: max_position_embeddings {} leaves no position after the {} that "
                                 "pad_token_id reserves",
                                 path.string(), c.max_position_embeddings, c.position_offset));
  // eps <= 0 makes LayerNorm divide by zero on a constant row, and every score NaN.
  if (!(c.layer_norm_eps > 0) || !std::isfinite(c.layer_norm_eps))
    throw ModelError(fmt::format("{}: layer_norm_eps {} must be a positive number", path.string(),
                                 c.layer_norm_eps));
  // Sizes whose weights no machine holds (more than 2^36 parameters) are a damaged config, refused
  // before anything is allocated for them.
  const double h = c.hidden_size;
  const double parameters = (static_cast<double>(c.vocab_size) + c.max_position_embeddings + c.type_vocab_size) * h +
                            static_cast<double>(c.num_layers) * (4 * h * h + 2 * h * c.intermediate_size);
  if (parameters > 0x1p36)
    throw ModelError(fmt::format("{}: its sizes imply {:.3g} parameters, more than any model this "
                                 "program can hold (2^36)", path.string(), parameters));
  return c;
}

MaxLength effective_max_length(const fs::path& dir, std::optional<size_t> tokenizer_max,
                               std::optional<size_t> requested) {
  std::optional<size_t> positions;
  if (fs::exists(dir / "config.json")) {
    const EncoderConfig config = read_encoder_config(dir / "config.json");
    positions = static_cast<size_t>(config.max_position_embeddings - config.position_offset);
  }
  MaxLength chosen{positions.value_or(512), positions ? "config.json max_position_embeddings"
                                                      : "default (no config.json)"};
  const fs::path st_config = dir / "sentence_bert_config.json";
  if (requested) {
    chosen = {*requested, "--max-length"};
  } else if (const auto st_max = fs::exists(st_config)
                                     ? json_optional<size_t>(read_json_file(st_config), "max_seq_length", st_config)
                                     : std::nullopt) {
    chosen = {*st_max, "sentence_bert_config.json max_seq_length"};
  } else if (tokenizer_max) {
    chosen = {*tokenizer_max, "tokenizer_config.json model_max_length"};
  }
  if (positions && chosen.tokens > *positions) {
    chosen.tokens = *positions;
    chosen.source += fmt::format(", capped at the model's {} positions", *positions);
  }
  if (chosen.tokens < 3)
    throw ModelError(fmt::format("{}: maximum length {} leaves no room for text", dir.string(),
                                 chosen.tokens));
  return chosen;
}

ModelDescription describe_model(const fs::path& dir, const BertWeightsLayout& layout,
                                std::optional<ScoringMode> mode, const fs::path& weights_path) {
  const SentenceTransformersModules st = read_modules(dir);
  ModelDescription d;
  if (mode) {
    d.mode = *mode;
    d.mode_source = "--mode";
  } else if (layout.has_classifier && !st.present) {
    d.mode = ScoringMode::cross;
    d.mode_source = "classifier weights present";
  } else {
    d.mode = ScoringMode::bi;
    d.mode_source = st.present ? "sentence-transformers modules.json" : "no classifier weights";
  }
  if (d.mode == ScoringMode::cross && !layout.has_classifier)
    throw ModelError(fmt::format("{}: cross-encoder mode needs classifier.weight and "
                                 "classifier.bias, which this model does not have",
                                 weights_path.string()));
  d.pooling = st.pooling;
  d.normalize = st.normalize;
  d.sentence_transformers = st.present;
  return d;
}

namespace {

LoadedModel load_model_files(const fs::path& dir, const ModelLoadOptions& options) {
  if (!fs::is_directory(dir))
    throw ModelError(fmt::format("{}: not a model directory", dir.string()));
  LoadedModel m;
  m.dir = dir;
  m.name = fs::weakly_canonical(dir).filename().string();
  m.config = read_encoder_config(dir / "config.json");

  auto file = open_weights(dir);
  const fs::path& weights_path = file->path();
  const BertWeightsLayout layout = detect_bert_layout(*file);

  const ModelDescription description = describe_model(dir, layout, options.mode, weights_path);
  ModelScoring& s = m.scoring;
  s.mode = description.mode;
  m.mode_source = description.mode_source;
  s.pooling = description.pooling;
  s.normalize = description.normalize;
  m.tensor_layout = layout.has_classifier ? "BertForSequenceClassification" : "BertModel";
  if (m.config.model_type == "structbert")
    m.tensor_layout = layout.has_classifier ? "SbertForSequenceClassification (ModelScope StructBERT)"
                                            : "SbertModel (ModelScope StructBERT)";
  if (description.sentence_transformers) m.tensor_layout += " (sentence-transformers export)";
  if (!layout.prefix.empty()) m.tensor_layout += fmt::format(" (prefix \"{}\")", layout.prefix);

  m.weights = load_bert_weights(file, layout, m.config, options.precision,
                                s.mode == ScoringMode::cross, options.int8_products,
                                options.int8_ffn_output);
  if (s.mode == ScoringMode::cross) {
    const int labels = m.weights.classifier->out_features();
    if (labels > 2)
      throw ModelError(fmt::format("{}: the classifier has {} labels; scoring needs 1 or 2",
                                   weights_path.string(), labels));
    if (labels == 2) {
      const std::vector<std::string> names = read_label_names(dir, 2);
      if (const int similar = similar_label(names); similar >= 0) {
        s.positive_label = similar;
        m.mode_source += fmt::format("; score = probability of label \"{}\" (index {})",
                                     names[static_cast<size_t>(similar)], similar);
      } else {
        m.mode_source += "; score = probability of label index 1";
      }
    }
  }

  LoadedTokenizer tokenizer = load_tokenizer(dir);
  if (tokenizer.tokenizer->vocab_size() > static_cast<size_t>(m.config.vocab_size))
    throw ModelError(fmt::format("{}: the tokenizer has {} tokens but the embedding table only {}",
                                 dir.string(), tokenizer.tokenizer->vocab_size(),
                                 m.config.vocab_size));
  m.tokenizer = std::move(tokenizer.tokenizer);
  m.tokenizer_kind = tokenizer.kind;
  const MaxLength max_length =
      effective_max_length(dir, tokenizer.model_max_length, options.max_length);
  s.max_length = max_length.tokens;
  m.max_length_source = max_length.source;
  return m;
}

}  // namespace

LoadedModel load_model(const fs::path& dir, const ModelLoadOptions& options) {
  try {
    return load_model_files(dir, options);
  } catch (const fs::filesystem_error& error) {
    throw unreadable_model(dir.string(), error);  // a symlink loop in the directory: exit 4
  }
}

}  // namespace simscore::io
