#include "io/tokenizer_files.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstring>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "core/tokenizer/sentencepiece_tokenizer.h"
#include "core/tokenizer/wordpiece.h"
#include "io/json_file.h"

namespace simscore::io {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

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
  const json config = read_json_file(config_path);
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
  token.content = json_field<std::string>(entry, "content", "", file);
  token.id = id;
  token.normalized = json_field<bool>(entry, "normalized", false, file);
  token.lstrip = json_field<bool>(entry, "lstrip", false, file);
  token.rstrip = json_field<bool>(entry, "rstrip", false, file);
  token.single_word = json_field<bool>(entry, "single_word", false, file);
  return token;
}

// The BertNormalizer flags transformers uses for a BertTokenizer: those of tokenizer_config.json
// (with the class defaults), which win over tokenizer.json's normalizer whenever AutoTokenizer picks
// that class: tokenizer_config.json's tokenizer_class when it has one, else the class of
// config.json's model_type ("bert"). Checked with transformers 5.23 on every combination of the
// three files (tests/reference/make_tokenizer_settings_fixtures.py): a tokenizer.json with
// lowercase=false lowercases beside {"tokenizer_class": "BertTokenizer"}, and beside a BERT
// config.json with no tokenizer_config.json at all; with neither, tokenizer.json rules.
std::optional<BertNormalizerOptions> transformers_bert_options(const fs::path& config_path) {
  const json config = fs::exists(config_path) ? read_json_file(config_path) : json::object();
  std::string tokenizer_class = json_field<std::string>(config, "tokenizer_class", "", config_path);
  if (const fs::path model_config = config_path.parent_path() / "config.json";
      tokenizer_class.empty() && fs::exists(model_config)) {
    const json model = read_json_file(model_config);
    if (json_field<std::string>(model, "model_type", "", model_config) == "bert") tokenizer_class = "BertTokenizer";
  }
  if (tokenizer_class != "BertTokenizer" && tokenizer_class != "BertTokenizerFast") {
    return std::nullopt;
  }
  return bert_normalizer_options(
      true, json_field<bool>(config, "tokenize_chinese_chars", true, config_path),
      json_optional<bool>(config, "strip_accents", config_path),
      json_field<bool>(config, "do_lower_case", true, config_path));
}

WordPieceConfig from_tokenizer_json(const json& root, const fs::path& path,
                                    const fs::path& config_path) {
  if (!root.is_object() || !root.contains("model") || !root["model"].is_object()) {
    throw ModelError(path.string() + ": no \"model\" section");
  }
  const json& model = root["model"];
  std::string type = json_field<std::string>(model, "type", "", path);
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
    const auto value = json_as<int32_t>(id);
    if (!value || *value < 0)
      throw ModelError(path.string() + ": vocab entry \"" + token + "\" has no valid id");
    config.vocab.emplace_back(token, *value);
  }
  config.unk_token = json_field<std::string>(model, "unk_token", "[UNK]", path);
  config.continuing_subword_prefix =
      json_field<std::string>(model, "continuing_subword_prefix", "##", path);
  config.max_input_chars_per_word = json_field<size_t>(model, "max_input_chars_per_word", 100, path);

  const json normalizer = root.value("normalizer", json());
  if (normalizer.is_null()) {
    config.normalizer = BertNormalizerOptions{false, false, false, false};
  } else if (normalizer.value("type", "") == "BertNormalizer") {
    const bool lowercase = json_field<bool>(normalizer, "lowercase", true, path);
    config.normalizer = bert_normalizer_options(
        json_field<bool>(normalizer, "clean_text", true, path),
        json_field<bool>(normalizer, "handle_chinese_chars", true, path),
        json_optional<bool>(normalizer, "strip_accents", path), lowercase);
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
      const int32_t id = json_field<int32_t>(entry, "id", -1, path);
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
  const json config_json = fs::exists(config_path) ? read_json_file(config_path) : json::object();
  WordPieceConfig config;
  {
    std::istringstream lines(read_model_file(vocab_path));
    std::string line;
    int32_t index = 0;
    while (std::getline(lines, line)) config.vocab.emplace_back(line, index++);
  }
  const bool lowercase = json_field<bool>(config_json, "do_lower_case", true, config_path);
  config.normalizer = bert_normalizer_options(
      true, json_field<bool>(config_json, "tokenize_chinese_chars", true, config_path),
      json_optional<bool>(config_json, "strip_accents", config_path), lowercase);

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
      // A key that is not a non-negative int32 is a broken file, not an exception from std::stol.
      int32_t numeric_id = -1;
      const auto [end, error] = std::from_chars(id.data(), id.data() + id.size(), numeric_id);
      if (error != std::errc() || end != id.data() + id.size() || numeric_id < 0) {
        throw ModelError(config_path.string() + ": added_tokens_decoder key \"" + id +
                         "\" is not a token id");
      }
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


// ---- SentencePiece (XLM-R family) -------------------------------------------------------------

std::string base64_decode(std::string_view text, const fs::path& file) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    else if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    else if (c >= '0' && c <= '9') value = c - '0' + 52;
    else if (c == '+') value = 62;
    else if (c == '/') value = 63;
    else if (c == '=') break;
    else throw ModelError(file.string() + ": precompiled_charsmap is not valid base64");
    buffer = buffer << 6 | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

// What the tokenizer needs from a .model file (a protobuf ModelProto; field numbers from
// sentencepiece_model.proto): the pieces with their scores, the model type and the character map.
struct SentencePieceModelFile {
  std::vector<std::pair<std::string, double>> pieces;  // piece = 1, score = 2 (float)
  int model_type = 1;           // trainer_spec = 2, model_type = 3: 1 unigram, 2 bpe, 3 word, 4 char
  std::string charsmap;         // normalizer_spec = 3, precompiled_charsmap = 2
};

uint64_t read_varint(std::string_view bytes, size_t& at, const fs::path& file) {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (at >= bytes.size()) throw ModelError(file.string() + ": truncated SentencePiece model");
    const auto byte = static_cast<uint8_t>(bytes[at++]);
    value |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if (!(byte & 0x80)) return value;
  }
  throw ModelError(file.string() + ": malformed SentencePiece model");
}

// Calls visit(field, wire_type, value_or_length, payload) for each field of one message.
template <typename Visit>
void for_each_field(std::string_view bytes, const fs::path& file, Visit&& visit) {
  size_t at = 0;
  while (at < bytes.size()) {
    const uint64_t key = read_varint(bytes, at, file);
    const int field = static_cast<int>(key >> 3);
    const int wire = static_cast<int>(key & 7);
    std::string_view payload;
    uint64_t value = 0;
    if (wire == 0) {
      value = read_varint(bytes, at, file);
    } else if (wire == 2) {
      value = read_varint(bytes, at, file);
      if (value > bytes.size() - at) throw ModelError(file.string() + ": truncated SentencePiece model");
      payload = bytes.substr(at, value);
      at += value;
    } else if (wire == 5 || wire == 1) {
      const size_t size = wire == 5 ? 4 : 8;
      if (size > bytes.size() - at) throw ModelError(file.string() + ": truncated SentencePiece model");
      for (size_t i = 0; i < size; ++i)
        value |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[at + i])) << (8 * i);
      at += size;
    } else {
      throw ModelError(file.string() + ": not a SentencePiece model (unexpected protobuf data)");
    }
    visit(field, wire, value, payload);
  }
}

SentencePieceModelFile read_sentencepiece_model(std::string_view bytes, const fs::path& file) {
  SentencePieceModelFile model;
  for_each_field(bytes, file, [&](int field, int wire, uint64_t, std::string_view payload) {
    if (field == 1 && wire == 2) {
      std::pair<std::string, double> piece;
      for_each_field(payload, file, [&](int f, int w, uint64_t value, std::string_view text) {
        if (f == 1 && w == 2) piece.first = std::string(text);
        if (f == 2 && w == 5) {
          const auto bits = static_cast<uint32_t>(value);
          float score;
          std::memcpy(&score, &bits, sizeof score);
          piece.second = score;
        }
      });
      model.pieces.push_back(std::move(piece));
    } else if (field == 2 && wire == 2) {
      for_each_field(payload, file, [&](int f, int w, uint64_t value, std::string_view) {
        if (f == 3 && w == 0) model.model_type = static_cast<int>(value);
      });
    } else if (field == 3 && wire == 2) {
      for_each_field(payload, file, [&](int f, int w, uint64_t, std::string_view text) {
        if (f == 2 && w == 2) model.charsmap = std::string(text);
      });
    }
  });
  return model;
}

// The special tokens of an XLM-R-style template: <s> a </s></s> b </s>, every type id 0.
SpecialTokens xlmr_special_tokens(int32_t cls, int32_t sep, int32_t pad, int32_t unk) {
  SpecialTokens special;
  special.cls_id = cls;
  special.sep_id = sep;
  special.pad_id = pad;
  special.unk_id = unk;
  special.pair_separators = 2;
  special.second_type_id = 0;
  return special;
}

// What transformers 5's XLMRobertaTokenizer builds from sentencepiece.bpe.model: a Unigram over
// <s> <pad> </s> <unk>, the model's pieces from the fourth on (so shifted by one), then <mask>;
// normalizer Precompiled (the model's character map); pre-tokenizers WhitespaceSplit and Metaspace
// (prepend always); the four fairseq tokens and <mask> matched as added tokens in the raw text.
SentencePieceConfig from_sentencepiece_model(const fs::path& path) {
  const SentencePieceModelFile model = read_sentencepiece_model(read_model_file(path), path);
  if (model.model_type != 1)
    throw ModelError(path.string() + ": SentencePiece model type " +
                     std::to_string(model.model_type) +
                     " is not supported (only Unigram is, as in XLM-R)");
  if (model.pieces.size() < 4) throw ModelError(path.string() + ": the SentencePiece model is empty");
  SentencePieceConfig config;
  config.vocab = {{"<s>", 0.0}, {"<pad>", 0.0}, {"</s>", 0.0}, {"<unk>", 0.0}};
  config.vocab.insert(config.vocab.end(), model.pieces.begin() + 3, model.pieces.end());
  const auto mask_id = static_cast<int32_t>(config.vocab.size());
  config.vocab.emplace_back("<mask>", 0.0);
  config.unk_id = 3;
  config.precompiled_charsmap = model.charsmap;
  config.whitespace_split = true;
  config.collapse_spaces = false;
  config.prepend = PrependScheme::always;
  config.special_tokens = xlmr_special_tokens(0, 2, 1, 3);
  config.added_tokens = {{"<s>", 0}, {"<pad>", 1}, {"</s>", 2}, {"<unk>", 3}, {"<mask>", mask_id}};
  return config;
}

PrependScheme read_metaspace(const json& step, const fs::path& path) {
  if (json_field<std::string>(step, "replacement", "\xE2\x96\x81", path) != "\xE2\x96\x81")
    throw ModelError(path.string() + ": Metaspace with a replacement other than U+2581 is not supported");
  if (!json_field<bool>(step, "split", true, path))
    throw ModelError(path.string() + ": Metaspace with split=false is not supported");
  if (step.contains("prepend_scheme")) {
    const auto scheme = json_field<std::string>(step, "prepend_scheme", "always", path);
    if (scheme == "always") return PrependScheme::always;
    if (scheme == "first") return PrependScheme::first;
    if (scheme == "never") return PrependScheme::never;
    throw ModelError(path.string() + ": Metaspace prepend_scheme \"" + scheme + "\" is unknown");
  }
  return json_field<bool>(step, "add_prefix_space", true, path) ? PrependScheme::always
                                                              : PrependScheme::never;
}

// A Unigram tokenizer.json (multilingual-e5, paraphrase-multilingual-MiniLM, bge-m3, XLM-R): the
// vocabulary is written out in model order, so the SentencePiece ids are the model ids.
SentencePieceConfig from_unigram_json(const json& root, const fs::path& path) {
  const json& model = root["model"];
  if (json_field<bool>(model, "byte_fallback", false, path))
    throw ModelError(path.string() + ": Unigram with byte_fallback is not supported");
  if (!model.contains("vocab") || !model["vocab"].is_array())
    throw ModelError(path.string() + ": the Unigram model has no vocab array");
  const auto unk_id = json_field<int64_t>(model, "unk_id", -1, path);

  SentencePieceConfig config;
  if (const auto it = root.find("added_tokens"); it != root.end() && it->is_array()) {
    for (const json& entry : *it) {
      const int32_t id = json_field<int32_t>(entry, "id", -1, path);
      if (id < 0) throw ModelError(path.string() + ": an added token has no id");
      config.added_tokens.push_back(read_added_token(entry, id, path));
    }
  }

  config.vocab.reserve(model["vocab"].size());
  for (const json& item : model["vocab"]) {
    if (!item.is_array() || item.size() != 2 || !item[0].is_string() || !item[1].is_number())
      throw ModelError(path.string() + ": a Unigram vocab entry is not [piece, score]");
    config.vocab.emplace_back(item[0].get<std::string>(), item[1].get<double>());
  }
  if (unk_id < 0 || static_cast<size_t>(unk_id) >= config.vocab.size())
    throw ModelError(path.string() + ": the Unigram model has no valid unk_id");
  config.unk_id = static_cast<int32_t>(unk_id);

  // Normalizer: Precompiled, alone or followed by Replace(" {2,}", " ").
  std::string& charsmap = config.precompiled_charsmap;
  const auto read_normalizer = [&](const json& step) {
    const std::string type = step.value("type", "");
    if (type == "Precompiled") {
      charsmap = base64_decode(json_field<std::string>(step, "precompiled_charsmap", "", path), path);
    } else if (type == "Replace" && step.contains("pattern") &&
               step["pattern"].value("Regex", "") == " {2,}" && step.value("content", "") == " ") {
      config.collapse_spaces = true;
    } else {
      throw ModelError(path.string() + ": normalizer \"" + type + "\" is not supported with "
                       "Unigram (Precompiled and Replace(\" {2,}\", \" \") are)");
    }
  };
  const json normalizer = root.value("normalizer", json());
  if (!normalizer.is_null()) {
    if (normalizer.value("type", "") == "Sequence") {
      // value(), not operator[]: a const json's operator[] on a missing key reads out of bounds.
      for (const json& step : normalizer.value("normalizers", json::array())) read_normalizer(step);
    } else {
      read_normalizer(normalizer);
    }
  }

  // Pre-tokenizer: Metaspace, optionally after WhitespaceSplit.
  const json pre = root.value("pre_tokenizer", json());
  std::vector<json> steps;
  if (pre.is_object() && pre.value("type", "") == "Sequence") {
    for (const json& step : pre.value("pretokenizers", json::array())) steps.push_back(step);
  } else if (pre.is_object()) {
    steps.push_back(pre);
  }
  config.whitespace_split = false;
  bool metaspace = false;
  for (const json& step : steps) {
    const std::string type = step.value("type", "");
    if (type == "WhitespaceSplit" && !metaspace) {
      config.whitespace_split = true;
    } else if (type == "Metaspace" && !metaspace) {
      config.prepend = read_metaspace(step, path);
      metaspace = true;
    } else {
      throw ModelError(path.string() + ": pre-tokenizer \"" + type + "\" is not supported with "
                       "Unigram (Metaspace, optionally after WhitespaceSplit, is)");
    }
  }
  if (!metaspace)
    throw ModelError(path.string() + ": a Unigram tokenizer without a Metaspace pre-tokenizer is "
                     "not supported");

  const auto id_of = [&](const std::string& token) -> int32_t {
    for (const AddedToken& added : config.added_tokens)
      if (added.content == token) return added.id;
    for (size_t i = 0; i < config.vocab.size(); ++i)
      if (config.vocab[i].first == token) return static_cast<int32_t>(i);
    throw ModelError(path.string() + ": the vocabulary has no \"" + token + "\" token");
  };
  config.special_tokens = xlmr_special_tokens(id_of("<s>"), id_of("</s>"), id_of("<pad>"),
                                              static_cast<int32_t>(unk_id));
  // The pair template decides the separators and the second text's type id.
  const json post = root.value("post_processor", json());
  if (post.is_object() && post.value("type", "") == "TemplateProcessing" && post.contains("pair")) {
    int separators = 0;
    bool after_a = false;
    for (const json& piece : post["pair"]) {
      if (piece.contains("Sequence")) {
        if (piece["Sequence"].value("id", "") == "A") after_a = true;
        if (piece["Sequence"].value("id", "") == "B") {
          config.special_tokens.second_type_id = json_field<int32_t>(piece["Sequence"], "type_id", 0, path);
          break;
        }
      } else if (after_a) {
        ++separators;
      }
    }
    if (separators > 0) config.special_tokens.pair_separators = separators;
  }
  return config;
}

}  // namespace

static LoadedTokenizer load_tokenizer_files(const fs::path& model_dir);

// json's accessors throw type_error / out_of_range when a key holds another kind of value than the
// code expects (a number where a string belongs, value() on an array, ...). Found by fuzzing
// (tests/fuzz/tokenizer_files_fuzz.cc): rather than guard every access, the boundary turns them into
// the ModelError this function promises.
LoadedTokenizer load_tokenizer(const fs::path& model_dir) {
  try {
    return load_tokenizer_files(model_dir);
  } catch (const json::exception& e) {
    throw ModelError(model_dir.string() + ": a tokenizer file holds a value of an unexpected kind (" +
                     e.what() + ")");
  }
}

static LoadedTokenizer load_tokenizer_files(const fs::path& model_dir) {
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
  const auto build_sentencepiece = [&](SentencePieceConfig config, const fs::path& source) {
    try {
      loaded.tokenizer = std::make_unique<SentencePieceTokenizer>(std::move(config));
    } catch (const ModelError& e) {
      throw ModelError(source.string() + ": " + e.what());
    }
    loaded.kind = "sentencepiece";
    loaded.source = source;
  };
  std::optional<fs::path> sentencepiece_model;
  for (const char* name : {"sentencepiece.bpe.model", "spiece.model"}) {
    if (!sentencepiece_model && fs::exists(model_dir / name)) sentencepiece_model = model_dir / name;
  }
  if (fs::exists(tokenizer_json)) {
    const json root = read_json_file(tokenizer_json);
    const bool unigram = root.is_object() && root.contains("model") && root["model"].is_object() &&
                         root["model"].value("type", "") == "Unigram";
    if (unigram) {
      build_sentencepiece(from_unigram_json(root, tokenizer_json), tokenizer_json);
    } else {
      build(from_tokenizer_json(root, tokenizer_json, tokenizer_config), tokenizer_json);
    }
  } else if (fs::exists(vocab_txt)) {
    build(from_vocab_txt(vocab_txt, tokenizer_config), vocab_txt);
  } else if (sentencepiece_model) {
    build_sentencepiece(from_sentencepiece_model(*sentencepiece_model), *sentencepiece_model);
  } else {
    throw ModelError(model_dir.string() +
                     ": no tokenizer found; looked for tokenizer.json, vocab.txt (with "
                     "tokenizer_config.json), sentencepiece.bpe.model and spiece.model");
  }
  return loaded;
}

}  // namespace simscore::io
