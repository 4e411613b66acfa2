// core/metrics' bootstrap pieces. The numbers themselves are checked against scikit-learn, scipy
// and a numpy redraw of the resamples in tests/e2e/test_eval_compare.py; here: that a resample's
// weighted metrics equal compute_metrics on the drawn rows written out (ties, rows drawn twice,
// rows not drawn, a resample without positives), and the generator's published first outputs.

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/metrics/bootstrap.h"
#include "core/metrics/mcnemar.h"
#include "core/metrics/metrics.h"
#include "core/metrics/resample.h"
#include "core/metrics/weighted_metrics.h"

namespace simscore {
namespace {

// The reference implementation's output for seed 1234567 (splitmix64.c by Vigna, which the Java
// SplittableRandom shares): 6457827717110365317, 3203168211198807973, 9817491932198370423.
TEST(SplitMix64, PublishedOutputs) {
  SplitMix64 rng(1234567);
  EXPECT_EQ(rng.next(), 6457827717110365317ULL);
  EXPECT_EQ(rng.next(), 3203168211198807973ULL);
  EXPECT_EQ(rng.next(), 9817491932198370423ULL);
}

void expect_same(const std::optional<double>& a, const std::optional<double>& b, const char* what) {
  ASSERT_EQ(a.has_value(), b.has_value()) << what;
  if (a) {
    EXPECT_NEAR(*a, *b, 1e-12) << what;
  }
}

void check_weights(const std::vector<double>& scores, const std::vector<double>& labels,
                   const std::vector<uint32_t>& weights, double threshold) {
  std::vector<double> drawn_scores, drawn_labels;
  for (size_t i = 0; i < weights.size(); ++i)
    for (uint32_t k = 0; k < weights[i]; ++k) {
      drawn_scores.push_back(scores[i]);
      drawn_labels.push_back(labels[i]);
    }
  const Metrics m = compute_metrics(drawn_scores, drawn_labels, threshold, 1.0);
  const SortedColumn sorted(scores);
  const LabelColumn label_column(labels, 1.0, true);
  const MetricValues v = weighted_metrics(sorted, label_column, threshold, weights);
  const auto at = [&](ResampledMetric metric) { return v[static_cast<size_t>(metric)]; };
  expect_same(at(ResampledMetric::f1), m.at_threshold.f1, "f1");
  expect_same(at(ResampledMetric::accuracy), m.at_threshold.accuracy, "accuracy");
  expect_same(at(ResampledMetric::best_f1), m.best_f1, "best_f1");
  expect_same(at(ResampledMetric::average_precision), m.average_precision, "average_precision");
  expect_same(at(ResampledMetric::roc_auc), m.roc_auc, "roc_auc");
  expect_same(at(ResampledMetric::spearman), m.spearman, "spearman");
}

TEST(WeightedMetrics, EqualTheMetricsOfTheDrawnRows) {
  // Ties in the scores (0.5 x3, 0.9 x2) across both classes, and in the labels.
  const std::vector<double> scores{0.5, 0.9, 0.5, 0.1, 0.9, 0.7, 0.5, 0.3};
  const std::vector<double> labels{1, 1, 0, 0, 0, 1, 1, 0};
  check_weights(scores, labels, {1, 1, 1, 1, 1, 1, 1, 1}, 0.5);
  check_weights(scores, labels, {2, 0, 1, 3, 0, 1, 1, 0}, 0.5);
  check_weights(scores, labels, {0, 3, 0, 1, 2, 0, 0, 2}, 0.6);
  check_weights(scores, labels, {0, 0, 4, 2, 1, 0, 0, 1}, 0.5);  // no positive drawn
  SplitMix64 rng(9);
  std::vector<uint32_t> counts(scores.size());
  for (int b = 0; b < 50; ++b) {
    draw_counts(rng, counts);
    check_weights(scores, labels, counts, 0.5);
  }
}

// numpy.percentile([1, 2, 3, 4], [2.5, 97.5]) is [1.075, 3.925]; of one value, that value.
TEST(Percentile, AsNumpyLinear) {
  std::vector<double> values{4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(*percentile(values, 0.025), 1.075);
  EXPECT_DOUBLE_EQ(*percentile(values, 0.975), 3.925);
  std::vector<double> one{0.25};
  EXPECT_EQ(*percentile(one, 0.975), 0.25);
  std::vector<double> none;
  EXPECT_FALSE(percentile(none, 0.5));
}

// scipy.stats.binomtest(k, n).pvalue: (2, 12) 0.03857421875 exactly; (6, 12) and (0, 0) 1.
TEST(McNemar, ExactBinomialTails) {
  EXPECT_NEAR(binomial_two_sided_half(2, 12), 0.03857421875, 1e-14);
  EXPECT_NEAR(binomial_two_sided_half(10, 12), 0.03857421875, 1e-14);
  EXPECT_EQ(binomial_two_sided_half(6, 12), 1.0);
  EXPECT_EQ(binomial_two_sided_half(0, 0), 1.0);
}

}  // namespace
}  // namespace simscore
