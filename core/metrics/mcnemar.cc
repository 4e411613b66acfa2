#include "core/metrics/mcnemar.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace simscore {

double binomial_two_sided_half(int64_t k, int64_t n) {
  if (n <= 0) return 1;
  const int64_t low = std::min(k, n - k);
  if (2 * low == n) return 1;  // the observed split is the most likely one
  // log P(X = i) = log C(n, i) - n log 2; the tail P(X <= low) summed from its largest term down,
  // scaled by that term so nothing underflows before it matters.
  const auto log_pmf = [n](int64_t i) {
    return std::lgamma(static_cast<double>(n) + 1) - std::lgamma(static_cast<double>(i) + 1) -
           std::lgamma(static_cast<double>(n - i) + 1) - static_cast<double>(n) * std::log(2.0);
  };
  const double top = log_pmf(low);
  double sum = 0;
  for (int64_t i = low; i >= 0; --i) {
    const double term = std::exp(log_pmf(i) - top);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return std::min(1.0, 2 * std::exp(top) * sum);
}

McNemarResult mcnemar_exact(std::span<const uint8_t> correct_a, std::span<const uint8_t> correct_b) {
  if (correct_a.size() != correct_b.size()) throw std::invalid_argument("mcnemar_exact: lengths differ");
  McNemarResult r;
  for (size_t i = 0; i < correct_a.size(); ++i) {
    if (correct_a[i] && !correct_b[i]) ++r.only_a_correct;
    if (!correct_a[i] && correct_b[i]) ++r.only_b_correct;
  }
  r.p_value = binomial_two_sided_half(r.only_a_correct, r.only_a_correct + r.only_b_correct);
  return r;
}

}  // namespace simscore
