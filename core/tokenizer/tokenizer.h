#pragma once
// The tokenizer interface the encoder consumes, and HuggingFace's post-processing (special-token
// templates and `longest_first` pair truncation) shared by every tokenizer kind.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace simscore {

// How a tokenizer wraps one text or a pair in special tokens.
//   BERT:  [CLS] a [SEP]          [CLS] a [SEP] b [SEP]        types 0.. then 1..
//   XLM-R: <s> a </s>             <s> a </s></s> b </s>        types all 0
struct SpecialTokens {
  int32_t cls_id = 101;
  int32_t sep_id = 102;
  int32_t pad_id = 0;
  int32_t unk_id = 100;
  int pair_separators = 1;     // separators between a and b: 1 for BERT, 2 for XLM-R
  int32_t second_type_id = 1;  // token type id of b and its trailing separator
};

// Token ids and token type ids of one encoded input (special tokens included).
struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Ids of one text without special tokens and without truncation.
  virtual std::vector<int32_t> tokenize(std::string_view text) const = 0;
  virtual const SpecialTokens& special_tokens() const = 0;
  virtual size_t vocab_size() const = 0;
};

// `[CLS] text [SEP]`, the text truncated so the whole fits in max_length tokens.
Encoding encode_single(const Tokenizer& tokenizer, std::string_view text, size_t max_length);

// `[CLS] a [SEP] b [SEP]`, truncated with HuggingFace tokenizers' `longest_first` strategy so the
// whole fits in max_length tokens.
Encoding encode_pair(const Tokenizer& tokenizer, std::string_view a, std::string_view b,
                     size_t max_length);

// How many tokens of each text `longest_first` keeps when two texts of `first` and `second` tokens
// must fit together in `budget` tokens (special tokens not counted).
std::pair<size_t, size_t> longest_first_lengths(size_t first, size_t second, size_t budget);

}  // namespace simscore
