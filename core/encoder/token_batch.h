#pragma once
// Sequences packed end to end, without padding: the encoder's dense layers run on real tokens only,
// and attention runs per sequence, so no padding token is ever computed.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/tokenizer/tokenizer.h"

namespace simscore {

struct TokenBatch {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
  std::vector<size_t> offsets;  // first token of each sequence
  std::vector<int> lengths;     // tokens of each sequence

  void add(const Encoding& encoding);
  void clear();
  size_t sequences() const { return lengths.size(); }
  size_t tokens() const { return ids.size(); }
  int max_length() const;
};

}  // namespace simscore
