#pragma once
// The BERT WordPiece tokenizer as HuggingFace tokenizers runs it: added tokens are cut out of the
// raw text first, the rest goes through BertNormalizer, BertPreTokenizer (split on whitespace,
// isolate punctuation) and greedy longest-match-first WordPiece with a continuation prefix.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/tokenizer/bert_normalizer.h"
#include "core/tokenizer/tokenizer.h"

namespace simscore {

// A token matched as a whole in the input text before the model sees it ([CLS], [SEP], [MASK]...).
struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool normalized = false;   // matched in the normalized text rather than the raw text
  bool lstrip = false;       // swallows the whitespace on its left
  bool rstrip = false;       // swallows the whitespace on its right
  bool single_word = false;  // only matches when not inside a word
};

struct WordPieceConfig {
  std::vector<std::pair<std::string, int32_t>> vocab;  // token, id
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  size_t max_input_chars_per_word = 100;
  BertNormalizerOptions normalizer;
  std::vector<AddedToken> added_tokens;
  SpecialTokens special_tokens;
};

class WordPieceTokenizer final : public Tokenizer {
 public:
  // Throws ModelError when the unknown token is not in the vocabulary.
  explicit WordPieceTokenizer(WordPieceConfig config);
  ~WordPieceTokenizer() override;

  std::vector<int32_t> tokenize(std::string_view text) const override;
  // Appends the ids of `text` to `ids`.
  void tokenize(std::string_view text, std::vector<int32_t>& ids) const;

  const SpecialTokens& special_tokens() const override { return special_tokens_; }
  size_t vocab_size() const override { return vocab_size_; }
  std::optional<int32_t> token_to_id(std::string_view token) const;

 private:
  class VocabTable;
  class AddedTokenMatcher;

  void tokenize_normalized(std::string_view normalized, std::vector<int32_t>& ids) const;
  void tokenize_words(std::string_view normalized, std::vector<int32_t>& ids) const;
  void tokenize_word(std::string_view word, size_t chars, std::vector<int32_t>& ids) const;

  BertNormalizer normalizer_;
  std::unique_ptr<VocabTable> words_;          // every vocabulary entry
  std::unique_ptr<VocabTable> continuations_;  // entries with the prefix, keyed without it
  std::unique_ptr<AddedTokenMatcher> raw_added_;
  std::unique_ptr<AddedTokenMatcher> normalized_added_;
  int32_t unk_id_ = 0;
  size_t max_input_chars_per_word_ = 100;
  size_t vocab_size_ = 0;
  SpecialTokens special_tokens_;
};

// BertPreTokenizer on already normalized text: the words, in order.
std::vector<std::string_view> bert_pre_tokenize(std::string_view normalized);

}  // namespace simscore
