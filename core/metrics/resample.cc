#include "core/metrics/resample.h"

#include <algorithm>

namespace simscore {

uint64_t SplitMix64::next() {
  state_ += 0x9E3779B97F4A7C15ULL;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

size_t draw_index(SplitMix64& rng, size_t n) {
  return static_cast<size_t>((static_cast<unsigned __int128>(rng.next()) * n) >> 64);
}

void draw_counts(SplitMix64& rng, std::span<uint32_t> counts) {
  std::fill(counts.begin(), counts.end(), 0u);
  for (size_t i = 0; i < counts.size(); ++i) ++counts[draw_index(rng, counts.size())];
}

}  // namespace simscore
