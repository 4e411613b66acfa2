#include "core/scoring/batching.h"

#include <algorithm>
#include <numeric>

namespace simscore {

std::vector<std::vector<uint32_t>> plan_batches(std::span<const int> lengths,
                                                size_t max_batch_tokens, bool longest_first) {
  std::vector<uint32_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return lengths[a] < lengths[b]; });

  std::vector<std::vector<uint32_t>> batches;
  size_t tokens = 0;
  for (uint32_t index : order) {
    const auto length = static_cast<size_t>(lengths[index]);
    if (batches.empty() || tokens + length > max_batch_tokens) {
      batches.emplace_back();
      tokens = 0;
    }
    batches.back().push_back(index);
    tokens += length;
  }
  if (longest_first) std::reverse(batches.begin(), batches.end());
  return batches;
}

}  // namespace simscore
