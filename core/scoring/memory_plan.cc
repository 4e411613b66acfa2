#include "core/scoring/memory_plan.h"

namespace simscore {

size_t weight_bytes(const EncoderPlan& plan) { return plan.weights_bytes() + plan.packed_bytes(); }

size_t max_batch_tokens_within(const EncoderPlan& plan, size_t bytes, size_t max_length) {
  if (plan.arena_bytes(max_length, max_length) > bytes) return 0;
  // The arena grows monotonically with the token count: binary search the largest that fits.
  size_t low = max_length, high = max_length;
  while (plan.arena_bytes(high * 2, max_length) <= bytes && high < (size_t{1} << 30)) high *= 2;
  high *= 2;
  while (low + 1 < high) {
    const size_t mid = low + (high - low) / 2;
    (plan.arena_bytes(mid, max_length) <= bytes ? low : high) = mid;
  }
  return low;
}

}  // namespace simscore
