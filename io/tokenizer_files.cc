#include "io/tokenizer_files.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "core/tokenizer/wordpiece.h"

namespace simscore::io {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelError(path.string() + ": cannot be opened");
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

json read_json(const fs::path& path) {
  try {
    return json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw ModelError(path.string() + ": not valid JSON (" + e.what() + ")");
  }
}

// Reads `object[key]` as T, or `fallback` when the key is absent or null.
template <typename T>
T value_or(const json& object, const char* key, T fallback, const fs::path& file) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw ModelError(file.string() + ": \"" + key + "\" has an unexpected type");
  }
}

// A boolean that may be null ("strip_accents": null means "follow lowercase").
std::optional<bool> optional_bool(const json& object, const char* key, const fs::path& file) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  return value_or<bool>(object, key, false, file);
}

// transformers writes special tokens either as a string or as an AddedToken object.
std::string token_content(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content")) return value["content"].get<std::string>();
  return {};
}

// transformers stores "unset" as int(1e30) (VERY_LARGE_INTEGER) or int(1e20); anything that does
// not fit an int32 is taken to mean that.
std::optional<size_t> read_model_max_length(const fs::path& config_path) {
  if (!fs::exists(config_path)) return std::nullopt;
  const json config = read_json(config_path);
  const auto it = config.find("model_max_length");
  if (it == config.end() || !it->is_number()) return std::nullopt;
  const double value = it->get<double>();
  if (!(value >= 1) || value > 2147483647.0 || value != std::floor(value)) return std::nullopt;
  return static_cast<size_t>(value);
}

int32_t require_id(const WordPieceConfig& config, const std::string& token, const fs::path& file) {
  for (const AddedToken& added : config.added_tokens) {
    if (added.content == token) return added.id;
  }
  for (const auto& [entry, id] : config.vocab) {
    if (entry == token) return id;
  }
  throw ModelError(file.string() + ": the vocabulary has no \"" + token + "\" token");
}

void set_special_ids(WordPieceConfig& config, const std::string& cls, const std::string& sep,
                     const std::string& pad, const fs::path& file) {
  config.special_tokens.cls_id = require_id(config, cls, file);
  config.special_tokens.sep_id = require_id(config, sep, file);
  config.special_tokens.pad_id = require_id(config, pad, file);
  config.special_tokens.unk_id = require_id(config, config.unk_token, file);
  config.special_tokens.pair_separators = 1;
  config.special_tokens.second_type_id = 1;
}

BertNormalizerOptions bert_normalizer_options(bool clean_text, bool chinese,
                                              std::optional<bool> strip, bool lowercase) {
  BertNormalizerOptions options;
  options.clean_text = clean_text;
  options.handle_chinese_chars = chinese;
  options.lowercase = lowercase;
  options.strip_accents = strip.value_or(lowercase);  // unset: strip exactly when lowercasing
  return options;
}

AddedToken read_added_token(const json& entry, int32_t id, const fs::path& file) {
  AddedToken token;
  token.content = value_or<std::string>(entry, "content", "", file);
  token.id = id;
  token.normalized = value_or<bool>(entry, "normalized", false, file);
  token.lstrip = value_or<bool>(entry, "lstrip", false, file);
  token.rstrip = value_or<bool>(entry, "rstrip", false, file);
  token.single_word = value_or<bool>(entry, "single_word", false, file);
  return token;
}

// The BertNormalizer flags transformers uses for a BertTokenizer: those of tokenizer_config.json
// (with the class defaults), which win over tokenizer.json's normalizer whenever the config names
// the class. Checked with transformers 5.23: a tokenizer.json with lowercase=false and a config
// {"tokenizer_class": "BertTokenizer"} lowercases; without tokenizer_class, tokenizer.json rules.
std::optional<BertNormalizerOptions> transformers_bert_options(const fs::path& config_path) {
  if (!fs::exists(config_path)) return std::nullopt;
  const json config = read_json(config_path);
  const auto tokenizer_class = value_or<std::string>(config, "tokenizer_class", "", config_path);
  if (tokenizer_class != "BertTokenizer" && tokenizer_class != "BertTokenizerFast") {
    return std::nullopt;
  }
  return bert_normalizer_options(
      true, value_or<bool>(config, "tokenize_chinese_chars", true, config_path),
      optional_bool(config, "strip_accents", config_path),
      value_or<bool>(config, "do_lower_case", true, config_path));
}

WordPieceConfig from_tokenizer_json(const fs::path& path, const fs::path& config_path) {
  const json root = read_json(path);
  if (!root.is_object() || !root.contains("model") || !root["model"].is_object()) {
    throw ModelError(path.string() + ": no \"model\" section");
  }
  const json& model = root["model"];
  std::string type = value_or<std::string>(model, "type", "", path);
  if (type.empty() && model.contains("continuing_subword_prefix")) type = "WordPiece";
  if (type != "WordPiece") {
    throw ModelError(path.string() + ": tokenizer model type \"" +
                     (type.empty() ? "unknown" : type) + "\" is not supported (only WordPiece is)");
  }
  if (!model.contains("vocab") || !model["vocab"].is_object()) {
    throw ModelError(path.string() + ": the WordPiece model has no vocab object");
  }

  WordPieceConfig config;
  for (const auto& [token, id] : model["vocab"].items()) {
    if (!id.is_number_integer()) {
      throw ModelError(path.string() + ": vocab entry \"" + token + "\" has no integer id");
    }
    config.vocab.emplace_back(token, id.get<int32_t>());
  }
  config.unk_token = value_or<std::string>(model, "unk_token", "[UNK]", path);
  config.continuing_subword_prefix =
      value_or<std::string>(model, "continuing_subword_prefix", "##", path);
  config.max_input_chars_per_word = value_or<size_t>(model, "max_input_chars_per_word", 100, path);

  const json normalizer = root.value("normalizer", json());
  if (normalizer.is_null()) {
    config.normalizer = BertNormalizerOptions{false, false, false, false};
  } else if (normalizer.value("type", "") == "BertNormalizer") {
    const bool lowercase = value_or<bool>(normalizer, "lowercase", true, path);
    config.normalizer = bert_normalizer_options(
        value_or<bool>(normalizer, "clean_text", true, path),
        value_or<bool>(normalizer, "handle_chinese_chars", true, path),
        optional_bool(normalizer, "strip_accents", path), lowercase);
  } else {
    throw ModelError(path.string() + ": normalizer \"" + normalizer.value("type", "?") +
                     "\" is not supported with WordPiece (only BertNormalizer is)");
  }

  const json pre_tokenizer = root.value("pre_tokenizer", json());
  if (pre_tokenizer.is_null() || pre_tokenizer.value("type", "") != "BertPreTokenizer") {
    const std::string type =
        pre_tokenizer.is_null() ? std::string("none") : pre_tokenizer.value("type", "?");
    throw ModelError(path.string() + ": pre-tokenizer \"" + type +
                     "\" is not supported with WordPiece (only BertPreTokenizer is)");
  }

  if (const auto it = root.find("added_tokens"); it != root.end() && it->is_array()) {
    for (const json& entry : *it) {
      const int32_t id = value_or<int32_t>(entry, "id", -1, path);
      if (id < 0) throw ModelError(path.string() + ": an added token has no id");
      config.added_tokens.push_back(read_added_token(entry, id, path));
    }
  }
  if (const auto options = transformers_bert_options(config_path)) config.normalizer = *options;
  set_special_ids(config, "[CLS]", "[SEP]", "[PAD]", path);
  return config;
}

// What transformers' BertTokenizerFast builds from vocab.txt and tokenizer_config.json.
WordPieceConfig from_vocab_txt(const fs::path& vocab_path, const fs::path& config_path) {
  const json config_json = fs::exists(config_path) ? read_json(config_path) : json::object();
  WordPieceConfig config;
  {
    std::istringstream lines(read_file(vocab_path));
    std::string line;
    int32_t index = 0;
    while (std::getline(lines, line)) config.vocab.emplace_back(line, index++);
  }
  const bool lowercase = value_or<bool>(config_json, "do_lower_case", true, config_path);
  config.normalizer = bert_normalizer_options(
      true, value_or<bool>(config_json, "tokenize_chinese_chars", true, config_path),
      optional_bool(config_json, "strip_accents", config_path), lowercase);

  const auto special_name = [&](const char* key, const char* fallback) {
    const auto it = config_json.find(key);
    const std::string name = it == config_json.end() ? std::string() : token_content(*it);
    return name.empty() ? std::string(fallback) : name;
  };
  config.unk_token = special_name("unk_token", "[UNK]");
  const std::string cls = special_name("cls_token", "[CLS]");
  const std::string sep = special_name("sep_token", "[SEP]");
  const std::string pad = special_name("pad_token", "[PAD]");
  const std::string mask = special_name("mask_token", "[MASK]");

  const auto decoder = config_json.find("added_tokens_decoder");
  if (decoder != config_json.end() && decoder->is_object()) {
    for (const auto& [id, entry] : decoder->items()) {
      const auto numeric_id = static_cast<int32_t>(std::stol(id));
      config.added_tokens.push_back(read_added_token(entry, numeric_id, config_path));
    }
  } else {
    // Special tokens are matched in the raw text; ones the vocabulary lacks are left out.
    for (const std::string& name : {pad, config.unk_token, cls, sep, mask}) {
      for (auto it = config.vocab.rbegin(); it != config.vocab.rend(); ++it) {
        if (it->first == name) {
          config.added_tokens.push_back(AddedToken{name, it->second});
          break;
        }
      }
    }
  }
  set_special_ids(config, cls, sep, pad, vocab_path);
  return config;
}

}  // namespace

LoadedTokenizer load_tokenizer(const fs::path& model_dir) {
  const fs::path tokenizer_json = model_dir / "tokenizer.json";
  const fs::path vocab_txt = model_dir / "vocab.txt";
  const fs::path tokenizer_config = model_dir / "tokenizer_config.json";

  LoadedTokenizer loaded;
  loaded.kind = "wordpiece";
  loaded.model_max_length = read_model_max_length(tokenizer_config);
  const auto build = [&](WordPieceConfig config, const fs::path& source) {
    try {
      loaded.tokenizer = std::make_unique<WordPieceTokenizer>(std::move(config));
    } catch (const ModelError& e) {
      throw ModelError(source.string() + ": " + e.what());
    }
    loaded.source = source;
  };
  if (fs::exists(tokenizer_json)) {
    build(from_tokenizer_json(tokenizer_json, tokenizer_config), tokenizer_json);
  } else if (fs::exists(vocab_txt)) {
    build(from_vocab_txt(vocab_txt, tokenizer_config), vocab_txt);
  } else {
    std::string message = model_dir.string() +
                          ": no tokenizer found; looked for tokenizer.json, and for vocab.txt "
                          "(with tokenizer_config.json)";
    for (const char* sentencepiece :
         {"sentencepiece.bpe.model", "spiece.model", "tokenizer.model"}) {
      if (fs::exists(model_dir / sentencepiece)) {
        message += "; found " + std::string(sentencepiece) +
                   ", but SentencePiece tokenizers are not supported yet";
      }
    }
    throw ModelError(message);
  }
  return loaded;
}

}  // namespace simscore::io
