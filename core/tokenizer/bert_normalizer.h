#pragma once
// BERT's text normalization (cleaning, spacing out CJK ideographs, accent stripping, lowercasing)
// exactly as HuggingFace tokenizers' BertNormalizer does it, including which Unicode version each
// of its character tables comes from, so our token ids match the reference on any input.

#include <cstdint>
#include <string>
#include <string_view>

namespace simscore {

struct BertNormalizerOptions {
  bool clean_text = true;            // drop control characters, map every whitespace to ' '
  bool handle_chinese_chars = true;  // put spaces around each CJK ideograph
  bool strip_accents = true;         // NFD, then drop non-spacing marks
  bool lowercase = true;             // full per-character lowercase mapping
};

class BertNormalizer {
 public:
  explicit BertNormalizer(BertNormalizerOptions options) : options_(options) {}

  // Writes the normalized form of `text` into `out` (replacing its content). Bytes that are not
  // valid UTF-8 are read as U+FFFD, one per byte.
  void normalize(std::string_view text, std::string& out) const;

  const BertNormalizerOptions& options() const { return options_; }

 private:
  BertNormalizerOptions options_;
};

// The character classes HuggingFace's BERT pipeline uses, shared with the pre-tokenizer.
namespace bert_chars {

// Rust's char::is_whitespace (the Unicode White_Space property).
bool is_whitespace(char32_t c);
// ASCII punctuation or a Unicode P* category, with the categories of Unicode 8.0 (the tables of
// the `unicode_categories` crate that tokenizers uses).
bool is_punctuation(char32_t c);

// Decodes one code point of `text` at `pos` and advances `pos`. An invalid or truncated sequence
// yields U+FFFD and advances by one byte.
inline char32_t decode_utf8(std::string_view text, size_t& pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(pos);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  size_t length = 0;
  char32_t c = 0;
  char32_t minimum = 0;
  if ((b0 & 0xE0) == 0xC0) {
    length = 2, c = b0 & 0x1F, minimum = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3, c = b0 & 0x0F, minimum = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4, c = b0 & 0x07, minimum = 0x10000;
  } else {
    ++pos;
    return 0xFFFD;
  }
  if (pos + length > text.size()) {
    ++pos;
    return 0xFFFD;
  }
  for (size_t i = 1; i < length; ++i) {
    const unsigned char b = byte(pos + i);
    if ((b & 0xC0) != 0x80) {
      ++pos;
      return 0xFFFD;
    }
    c = (c << 6) | (b & 0x3F);
  }
  if (c < minimum || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
    ++pos;
    return 0xFFFD;
  }
  pos += length;
  return c;
}

inline void append_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

}  // namespace bert_chars
}  // namespace simscore
