#include "core/tokenizer/tokenizer.h"

#include <algorithm>

namespace simscore {
namespace {

// The token budget left for the texts once the special tokens are counted. HuggingFace computes
// max_length - added tokens in unsigned arithmetic: below the special-token count it wraps around
// and nothing is truncated. We keep that behaviour rather than invent another.
size_t text_budget(size_t max_length, size_t special_count) {
  return max_length >= special_count ? max_length - special_count : SIZE_MAX;
}

}  // namespace

Encoding encode_single(const Tokenizer& tokenizer, std::string_view text, size_t max_length) {
  const SpecialTokens& special = tokenizer.special_tokens();
  std::vector<int32_t> ids = tokenizer.tokenize(text);
  const size_t budget = text_budget(max_length, 2);
  if (ids.size() > budget) ids.resize(budget);

  Encoding encoding;
  encoding.ids.reserve(ids.size() + 2);
  encoding.ids.push_back(special.cls_id);
  encoding.ids.insert(encoding.ids.end(), ids.begin(), ids.end());
  encoding.ids.push_back(special.sep_id);
  encoding.type_ids.assign(encoding.ids.size(), 0);
  return encoding;
}

// tokenizers' `longest_first` (utils/truncation.rs): with n1 the shorter and n2 the longer length,
// the shorter keeps everything if the longer can take the rest of the budget; otherwise the budget
// is halved and the longer text gets the odd token. When both are equally long, the second text
// counts as the longer one.
std::pair<size_t, size_t> longest_first_lengths(size_t first, size_t second, size_t budget) {
  if (first + second <= budget) return {first, second};
  const bool swapped = first > second;
  size_t shorter = swapped ? second : first;
  size_t longer = shorter > budget ? shorter : std::max(shorter, budget - shorter);
  if (shorter + longer > budget) {
    shorter = budget / 2;
    longer = shorter + budget % 2;
  }
  if (swapped) return {std::min(first, longer), std::min(second, shorter)};
  return {std::min(first, shorter), std::min(second, longer)};
}

Encoding encode_pair(const Tokenizer& tokenizer, std::string_view a, std::string_view b,
                     size_t max_length) {
  const SpecialTokens& special = tokenizer.special_tokens();
  std::vector<int32_t> first = tokenizer.tokenize(a);
  std::vector<int32_t> second = tokenizer.tokenize(b);
  const size_t separators = static_cast<size_t>(special.pair_separators);
  const auto [keep_first, keep_second] =
      longest_first_lengths(first.size(), second.size(), text_budget(max_length, 2 + separators));
  first.resize(keep_first);
  second.resize(keep_second);

  Encoding encoding;
  const size_t total = first.size() + second.size() + 2 + separators;
  encoding.ids.reserve(total);
  encoding.type_ids.reserve(total);
  encoding.ids.push_back(special.cls_id);
  encoding.ids.insert(encoding.ids.end(), first.begin(), first.end());
  encoding.ids.insert(encoding.ids.end(), separators, special.sep_id);
  encoding.type_ids.assign(encoding.ids.size(), 0);
  encoding.ids.insert(encoding.ids.end(), second.begin(), second.end());
  encoding.ids.push_back(special.sep_id);
  encoding.type_ids.resize(encoding.ids.size(), special.second_type_id);
  return encoding;
}

}  // namespace simscore
