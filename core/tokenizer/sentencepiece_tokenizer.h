#pragma once
// A SentencePiece (Unigram) tokenizer run the way HuggingFace runs XLM-R-family tokenizers: added
// tokens are cut out of the raw text first; each remaining span is normalized with the model's
// precompiled character map by libsentencepiece (whitespace untouched, as HF's `Precompiled`
// normalizer leaves it), split on whitespace and marked with U+2581 as HF's `WhitespaceSplit` /
// `Metaspace` pre-tokenizers do, and each word is segmented by Viterbi over the piece scores.
// The segmentation is ours rather than libsentencepiece's because HF breaks ties between equally
// scored segmentations ("000" as "0"+"00" or "00"+"0") differently from libsentencepiece 0.1.97.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/wordpiece.h"  // AddedToken

namespace simscore {

// Where Metaspace puts the U+2581 that marks the start of a word.
enum class PrependScheme { always, first, never };

struct SentencePieceConfig {
  // The Unigram vocabulary in model order (index = token id): piece and log-probability score.
  std::vector<std::pair<std::string, double>> vocab;
  int32_t unk_id = 3;
  std::string precompiled_charsmap;      // SentencePiece's normalization table; empty: none
  std::vector<AddedToken> added_tokens;  // matched in the raw text (normalized ones are refused)
  bool collapse_spaces = false;  // HF normalizer Replace(" {2,}", " "), older XLM-R tokenizer.json
  bool whitespace_split = true;  // HF WhitespaceSplit before Metaspace (transformers 5's converter)
  PrependScheme prepend = PrependScheme::always;
  SpecialTokens special_tokens{0, 2, 1, 3, 2, 0};
};

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Throws ModelError when libsentencepiece refuses the character map, when unk_id is out of
  // range, or when an added token asks for normalization.
  explicit SentencePieceTokenizer(SentencePieceConfig config);
  ~SentencePieceTokenizer() override;

  std::vector<int32_t> tokenize(std::string_view text) const override;
  const SpecialTokens& special_tokens() const override { return config_.special_tokens; }
  size_t vocab_size() const override { return vocab_size_; }

  // The precompiled character map applied to `text`, whitespace untouched (HF `Precompiled`).
  std::string normalize(std::string_view text) const;

 private:
  class Normalizer;

  void tokenize_span(std::string_view raw, bool first_span, std::vector<int32_t>& ids) const;
  void segment_word(std::string_view word, std::vector<int32_t>& ids) const;

  SentencePieceConfig config_;
  std::unique_ptr<Normalizer> normalizer_;  // null when there is no character map
  std::unordered_map<std::string_view, int32_t> piece_ids_;
  size_t longest_piece_ = 0;  // bytes
  double unk_score_ = 0;
  size_t vocab_size_ = 0;
};

}  // namespace simscore
