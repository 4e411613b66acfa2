#pragma once
// Bootstrap resamples that are the same on every machine and in the reference test: a tiny
// specified generator (splitmix64) and a specified way of turning its output into row indices, so
// `--seed S` reproduces every interval to the bit and tests/e2e can redraw the same rows in numpy.
//
// A resample of n rows is n draws with replacement, kept as counts (how often each row was drawn):
// the metrics of the resample are then weighted sums in an order sorted once, never a re-sort.

#include <cstddef>
#include <cstdint>
#include <span>

namespace simscore {

// splitmix64 (Steele, Lea and Flood, 2014): state += 0x9E3779B97F4A7C15, then the output is
// z = state; z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9; z = (z ^ z >> 27) * 0x94D049BB133111EB;
// z ^ z >> 31. The first output of seed S mixes S + 0x9E3779B97F4A7C15.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next();

 private:
  uint64_t state_;
};

// An index in [0, n): the high 64 bits of the 128-bit product next() x n (n < 2^32).
size_t draw_index(SplitMix64& rng, size_t n);

// One resample: counts.size() draws of draw_index(rng, counts.size()) in turn, each adding 1 to
// its row's count. Resample b of a run is the b-th call on one generator seeded with S.
void draw_counts(SplitMix64& rng, std::span<uint32_t> counts);

}  // namespace simscore
