#include "core/encoder/token_batch.h"

#include <algorithm>

namespace simscore {

void TokenBatch::add(const Encoding& encoding) {
  offsets.push_back(ids.size());
  lengths.push_back(static_cast<int>(encoding.ids.size()));
  ids.insert(ids.end(), encoding.ids.begin(), encoding.ids.end());
  type_ids.insert(type_ids.end(), encoding.type_ids.begin(), encoding.type_ids.end());
}

void TokenBatch::clear() {
  ids.clear();
  type_ids.clear();
  offsets.clear();
  lengths.clear();
}

int TokenBatch::max_length() const {
  return lengths.empty() ? 0 : *std::max_element(lengths.begin(), lengths.end());
}

}  // namespace simscore
