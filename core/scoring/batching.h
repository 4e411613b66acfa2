#pragma once
// Length-sorted batching: sequences of similar length go together, and a batch holds at most a
// budget of tokens, so activation memory is bounded whatever the input.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace simscore {

// Indices into `lengths`, grouped into batches of at most max_batch_tokens tokens in total (a
// sequence longer than the budget gets a batch of its own). Batches go shortest first, or longest
// first when asked, so that a budget too large for memory fails at the start of a run.
std::vector<std::vector<uint32_t>> plan_batches(std::span<const int> lengths,
                                                size_t max_batch_tokens, bool longest_first);

}  // namespace simscore
