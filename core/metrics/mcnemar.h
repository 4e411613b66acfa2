#pragma once
// McNemar's exact test of two classifiers' decisions on the same rows: of the rows exactly one of
// them gets right, is the split between them further from even than chance allows? The two-sided
// binomial test with p = 1/2 on the discordant rows (scipy.stats.binomtest(b, b + c).pvalue).

#include <cstdint>
#include <span>

namespace simscore {

struct McNemarResult {
  int64_t only_a_correct = 0, only_b_correct = 0;
  double p_value = 1;  // 1 when no row is discordant
};

// correct_a[i]: system a's decision on row i equals the label (same for b); equal lengths.
McNemarResult mcnemar_exact(std::span<const uint8_t> correct_a, std::span<const uint8_t> correct_b);

// P(X <= min(k, n - k)) + P(X >= max(k, n - k)) for X ~ Binomial(n, 1/2), at most 1.
double binomial_two_sided_half(int64_t k, int64_t n);

}  // namespace simscore
