#pragma once
// The promises of encode_pair / encode_single (core/tokenizer/tokenizer.h) that hold for any
// tokenizer and any text, checked by the tokenizer fuzz targets. Input layout they share: two bytes
// of max_length (little-endian, modulo 600), then text a, a tab, text b (no tab: b is empty).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/tokenizer/tokenizer.h"
#include "tests/fuzz/fuzz_support.h"

namespace simscore::fuzz {

inline void check_ids(const Tokenizer& tok, const Encoding& encoding) {
  SIMSCORE_FUZZ_CHECK(encoding.ids.size() == encoding.type_ids.size());
  SIMSCORE_FUZZ_CHECK(encoding.ids.size() >= 2);
  SIMSCORE_FUZZ_CHECK(encoding.ids.front() == tok.special_tokens().cls_id);
  SIMSCORE_FUZZ_CHECK(encoding.ids.back() == tok.special_tokens().sep_id);
  for (int32_t id : encoding.ids) {
    SIMSCORE_FUZZ_CHECK(id >= 0 && static_cast<size_t>(id) < tok.vocab_size());
  }
}

// Tokenizes the pair and each text and checks: special tokens first and last, type ids beside
// every id, the total equal to min(untruncated, max_length) whenever max_length leaves room for the
// special tokens (HF truncates nothing otherwise), every id inside the vocabulary, and the same ids
// from a second call (no state carried between calls).
inline void check_encodings(const Tokenizer& tok, const uint8_t* data, size_t size) {
  if (size < 2) return;
  const size_t max_length = (data[0] | (size_t{data[1]} << 8)) % 600;
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);
  const size_t tab = text.find('\t');
  const std::string_view a = text.substr(0, tab);
  const std::string_view b = tab == std::string_view::npos ? std::string_view() : text.substr(tab + 1);

  const auto ids_a = tok.tokenize(a);
  const auto ids_b = tok.tokenize(b);
  SIMSCORE_FUZZ_CHECK(tok.tokenize(a) == ids_a);

  const SpecialTokens& special = tok.special_tokens();
  const size_t specials = 3 + static_cast<size_t>(special.pair_separators) - 1;
  const Encoding pair = encode_pair(tok, a, b, max_length);
  check_ids(tok, pair);
  const size_t full = ids_a.size() + ids_b.size() + specials;
  SIMSCORE_FUZZ_CHECK(pair.ids.size() == (max_length >= specials ? std::min(full, max_length) : full));
  // Type ids: zeros through the first segment's separators, then the second segment's type.
  size_t zeros = 0;
  while (zeros < pair.type_ids.size() && pair.type_ids[zeros] == 0) ++zeros;
  for (size_t i = zeros; i < pair.type_ids.size(); ++i) {
    SIMSCORE_FUZZ_CHECK(pair.type_ids[i] == special.second_type_id);
  }
  SIMSCORE_FUZZ_CHECK(zeros >= 2 && pair.ids[zeros - 1] == special.sep_id);

  const Encoding single = encode_single(tok, a, max_length);
  check_ids(tok, single);
  SIMSCORE_FUZZ_CHECK(single.ids.size() ==
                      (max_length >= 2 ? std::min(ids_a.size() + 2, max_length) : ids_a.size() + 2));
}

}  // namespace simscore::fuzz
