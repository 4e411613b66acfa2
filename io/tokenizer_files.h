#pragma once
// Builds a Tokenizer from the files a HuggingFace model directory ships: tokenizer.json (WordPiece
// or Unigram) when present, else vocab.txt with tokenizer_config.json (what transformers'
// BertTokenizerFast does), else sentencepiece.bpe.model / spiece.model, read as transformers'
// XLMRobertaTokenizer reads them.
// As in transformers, a tokenizer_config.json naming the BertTokenizer class sets the normalizer
// flags (do_lower_case, strip_accents, tokenize_chinese_chars) even when tokenizer.json is used.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/tokenizer/tokenizer.h"

namespace simscore::io {

struct LoadedTokenizer {
  std::unique_ptr<Tokenizer> tokenizer;
  std::optional<size_t> model_max_length;  // from tokenizer_config.json, when it sets a real one
  std::string kind;                        // "wordpiece" or "sentencepiece"
  std::filesystem::path source;            // the file the vocabulary came from
};

// Throws ModelError when no tokenizer files are found (listing what was looked for), when a file
// is malformed, or when tokenizer.json holds a model or pipeline step we do not implement.
LoadedTokenizer load_tokenizer(const std::filesystem::path& model_dir);

}  // namespace simscore::io
