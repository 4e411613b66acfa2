#include "core/tokenizer/bert_normalizer.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

namespace simscore {
namespace {

// tokenizers takes its tables from three places, each frozen at a different Unicode version; ICU 72
// knows Unicode 15, so we recover the older views from ICU with each character's age:
//   - general categories (control, non-spacing mark, punctuation): the `unicode_categories` crate,
//     Unicode 8.0. Its "unassigned" table is never consulted, so unassigned code points are kept.
//   - NFD (decompositions and combining classes): `unicode-normalization-alignments`, Unicode 9.0.
//   - whitespace and lowercase: Rust's standard library, which is newer than ICU 72 (see below).
// All of this was checked code point by code point against tokenizers 0.23 (the reference test
// does it again on every run).

bool assigned_by(char32_t c, uint8_t major) {
  UVersionInfo age;
  u_charAge(static_cast<UChar32>(c), age);
  return age[0] != 0 && age[0] <= major;
}

// Characters assigned by Unicode 8.0 whose general category has changed since.
bool category_changed_since_v8(char32_t c, int8_t& v8_category) {
  switch (c) {
    case 0x166D:  // CANADIAN SYLLABICS CHI SIGN: So now
    case 0x111C9:  // SHARADA SANDHI MARK: Mn now
      v8_category = U_OTHER_PUNCTUATION;
      return true;
    case 0x1734:  // HANUNOO SIGN PAMUDPOD: Mc now
      v8_category = U_NON_SPACING_MARK;
      return true;
    case 0x1885:  // MONGOLIAN LETTER ALI GALI BALUDA: Mn now
    case 0x1886:
      v8_category = U_OTHER_LETTER;
      return true;
    case 0xA9BD:  // JAVANESE CONSONANT SIGN KERET: Mn now
      v8_category = U_COMBINING_SPACING_MARK;
      return true;
    default:
      return false;
  }
}

constexpr uint32_t kCategoriesWeAsk =
    U_MASK(U_CONTROL_CHAR) | U_MASK(U_FORMAT_CHAR) | U_MASK(U_PRIVATE_USE_CHAR) |
    U_MASK(U_NON_SPACING_MARK) | U_GC_P_MASK;

// The general category as `unicode_categories` (Unicode 8.0) reports it, for the categories the
// BERT pipeline asks about; anything else may come back as U_UNASSIGNED.
int8_t category_v8(char32_t c) {
  int8_t changed;
  if (category_changed_since_v8(c, changed)) return changed;
  const int8_t category = u_charType(static_cast<UChar32>(c));
  if ((U_MASK(category) & kCategoriesWeAsk) == 0) return category;
  return assigned_by(c, 8) ? category : static_cast<int8_t>(U_UNASSIGNED);
}

bool is_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  const int8_t category = category_v8(c);
  return category == U_CONTROL_CHAR || category == U_FORMAT_CHAR ||
         category == U_PRIVATE_USE_CHAR;
}

bool is_chinese(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// Lowercase pairs Rust's standard library knows (Unicode 16 and 17) and ICU 72 does not yet.
constexpr std::pair<char32_t, char32_t> kLowercaseNewerThanIcu[] = {
    {0x1C89, 0x1C8A},   {0xA7CB, 0x264},    {0xA7CC, 0xA7CD},   {0xA7CE, 0xA7CF},
    {0xA7D2, 0xA7D3},   {0xA7D4, 0xA7D5},   {0xA7DA, 0xA7DB},   {0xA7DC, 0x19B},
    {0x10D50, 0x10D70}, {0x10D51, 0x10D71}, {0x10D52, 0x10D72}, {0x10D53, 0x10D73},
    {0x10D54, 0x10D74}, {0x10D55, 0x10D75}, {0x10D56, 0x10D76}, {0x10D57, 0x10D77},
    {0x10D58, 0x10D78}, {0x10D59, 0x10D79}, {0x10D5A, 0x10D7A}, {0x10D5B, 0x10D7B},
    {0x10D5C, 0x10D7C}, {0x10D5D, 0x10D7D}, {0x10D5E, 0x10D7E}, {0x10D5F, 0x10D7F},
    {0x10D60, 0x10D80}, {0x10D61, 0x10D81}, {0x10D62, 0x10D82}, {0x10D63, 0x10D83},
    {0x10D64, 0x10D84}, {0x10D65, 0x10D85}, {0x16EA0, 0x16EBB}, {0x16EA1, 0x16EBC},
    {0x16EA2, 0x16EBD}, {0x16EA3, 0x16EBE}, {0x16EA4, 0x16EBF}, {0x16EA5, 0x16EC0},
    {0x16EA6, 0x16EC1}, {0x16EA7, 0x16EC2}, {0x16EA8, 0x16EC3}, {0x16EA9, 0x16EC4},
    {0x16EAA, 0x16EC5}, {0x16EAB, 0x16EC6}, {0x16EAC, 0x16EC7}, {0x16EAD, 0x16EC8},
    {0x16EAE, 0x16EC9}, {0x16EAF, 0x16ECA}, {0x16EB0, 0x16ECB}, {0x16EB1, 0x16ECC},
    {0x16EB2, 0x16ECD}, {0x16EB3, 0x16ECE}, {0x16EB4, 0x16ECF}, {0x16EB5, 0x16ED0},
    {0x16EB6, 0x16ED1}, {0x16EB7, 0x16ED2}, {0x16EB8, 0x16ED3},
};

// Rust's char::to_lowercase: the full mapping without context (no final-sigma rule). The only
// context-free full mapping that differs from the simple one is U+0130.
void append_lowercase(char32_t c, std::string& out) {
  if (c == 0x130) {
    out += "i\xCC\x87";  // i, U+0307
    return;
  }
  char32_t lower = static_cast<char32_t>(u_tolower(static_cast<UChar32>(c)));
  if (lower == c) {
    const auto* end = std::end(kLowercaseNewerThanIcu);
    const auto* it =
        std::lower_bound(std::begin(kLowercaseNewerThanIcu), end, c,
                         [](const auto& pair, char32_t key) { return pair.first < key; });
    if (it != end && it->first == c) lower = it->second;
  }
  bert_chars::append_utf8(lower, out);
}

const icu::Normalizer2& nfd() {
  static const icu::Normalizer2* instance = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFDInstance(status);
    return U_SUCCESS(status) ? n : nullptr;
  }();
  return *instance;
}

// The normalizer after cleaning and CJK spacing: NFD with canonical reordering, dropping
// non-spacing marks, lowercasing. Marks with a non-zero combining class wait in `pending_` until
// the next starter, because NFD sorts each such run by combining class.
class AccentsAndCase {
 public:
  AccentsAndCase(const BertNormalizerOptions& options, std::string& out)
      : strip_(options.strip_accents), lowercase_(options.lowercase), out_(out) {}

  void push(char32_t c) {
    if (!strip_) return emit(c);
    // The NFD tables of tokenizers stop at Unicode 9.0: later characters neither decompose nor
    // carry a combining class there.
    if (c < 0xC0 || !assigned_by(c, 9) || nfd().isInert(static_cast<UChar32>(c))) {
      return push_decomposed(c);
    }
    icu::UnicodeString decomposition;
    if (!nfd().getDecomposition(static_cast<UChar32>(c), decomposition)) return push_decomposed(c);
    for (int32_t i = 0; i < decomposition.length();) {
      const UChar32 part = decomposition.char32At(i);
      push_decomposed(static_cast<char32_t>(part));
      i += U16_LENGTH(part);
    }
  }

  void flush() {
    if (pending_.empty()) return;
    std::stable_sort(pending_.begin(), pending_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [combining_class, c] : pending_) emit_unless_mark(c);
    pending_.clear();
  }

 private:
  void push_decomposed(char32_t c) {
    const uint8_t combining_class =
        c < 0x300 || !assigned_by(c, 9) ? 0 : u_getCombiningClass(static_cast<UChar32>(c));
    if (combining_class == 0) {
      flush();
      emit_unless_mark(c);
    } else {
      pending_.emplace_back(combining_class, c);
    }
  }

  void emit_unless_mark(char32_t c) {
    if (c >= 0x300 && category_v8(c) == U_NON_SPACING_MARK) return;
    emit(c);
  }

  void emit(char32_t c) {
    if (lowercase_) {
      append_lowercase(c, out_);
    } else {
      bert_chars::append_utf8(c, out_);
    }
  }

  bool strip_;
  bool lowercase_;
  std::string& out_;
  std::vector<std::pair<uint8_t, char32_t>> pending_;
};

}  // namespace

namespace bert_chars {

bool is_whitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= '\t' && c <= '\r');
  return u_isUWhiteSpace(static_cast<UChar32>(c));
}

bool is_punctuation(char32_t c) {
  if (c < 0x80) {
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
           (c >= '{' && c <= '~');
  }
  return (U_MASK(category_v8(c)) & U_GC_P_MASK) != 0;
}

}  // namespace bert_chars

void BertNormalizer::normalize(std::string_view text, std::string& out) const {
  out.clear();
  out.reserve(text.size() + text.size() / 2);
  AccentsAndCase tail(options_, out);
  // ASCII characters are starters with no decomposition: they only flush pending marks.
  size_t pos = 0;
  while (pos < text.size()) {
    const unsigned char byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x80) {
      ++pos;
      char c = static_cast<char>(byte);
      if (options_.clean_text) {
        if (byte == '\t' || byte == '\n' || byte == '\r' || byte == ' ') {
          c = ' ';
        } else if (byte < 0x20 || byte == 0x7F) {
          continue;  // C0 controls (incl. NUL) and DEL are category Cc
        }
      }
      tail.flush();
      if (options_.lowercase && c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
      out.push_back(c);
      continue;
    }
    char32_t c = bert_chars::decode_utf8(text, pos);
    if (options_.clean_text) {
      if (c == 0xFFFD || is_control(c)) continue;
      if (bert_chars::is_whitespace(c)) c = ' ';
    }
    if (options_.handle_chinese_chars && is_chinese(c)) {
      tail.push(' ');
      tail.push(c);
      tail.push(' ');
    } else {
      tail.push(c);
    }
  }
  tail.flush();
}

}  // namespace simscore
