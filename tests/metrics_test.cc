// core/metrics against scikit-learn / scipy (fixtures from tests/reference/make_metric_fixtures.py)
// and against small cases worked out by hand below.

#include "core/metrics/metrics.h"
#include "core/metrics/sentence_transformers_metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/test_paths.h"

namespace simscore {
namespace {

// The reference and we sum in different orders; 1e-9 leaves room for that and nothing more.
constexpr double kTolerance = 1e-9;

void expect_optional_near(const std::optional<double>& actual, const nlohmann::json& expected,
                          const char* what) {
  if (expected.is_null()) {
    EXPECT_FALSE(actual.has_value()) << what << " should be undefined, got " << *actual;
  } else {
    ASSERT_TRUE(actual.has_value()) << what << " should be " << expected.get<double>();
    EXPECT_NEAR(*actual, expected.get<double>(), kTolerance) << what;
  }
}

void expect_threshold_metrics(const ThresholdMetrics& actual, const nlohmann::json& expected) {
  SCOPED_TRACE("threshold " + std::to_string(expected["threshold"].get<double>()));
  EXPECT_EQ(actual.threshold, expected["threshold"].get<double>());
  EXPECT_EQ(actual.confusion.true_negative, expected["tn"].get<int64_t>());
  EXPECT_EQ(actual.confusion.false_positive, expected["fp"].get<int64_t>());
  EXPECT_EQ(actual.confusion.false_negative, expected["fn"].get<int64_t>());
  EXPECT_EQ(actual.confusion.true_positive, expected["tp"].get<int64_t>());
  EXPECT_NEAR(actual.accuracy, expected["accuracy"].get<double>(), kTolerance);
  EXPECT_NEAR(actual.precision, expected["precision"].get<double>(), kTolerance);
  EXPECT_NEAR(actual.recall, expected["recall"].get<double>(), kTolerance);
  EXPECT_NEAR(actual.f1, expected["f1"].get<double>(), kTolerance);
}

// std::vector<bool> is packed, so the positives go into a plain array a span can view.
struct Positives {
  explicit Positives(const std::vector<double>& labels, double positive_min)
      : flags(new bool[labels.size()]), size(labels.size()) {
    for (size_t i = 0; i < size; ++i) flags[i] = labels[i] >= positive_min;
  }
  std::span<const bool> span() const { return {flags.get(), size}; }
  std::unique_ptr<bool[]> flags;
  size_t size;
};

TEST(MetricsReference, MatchesSklearnAndScipy) {
  SIMSCORE_REQUIRE_FIXTURE("metrics/cases.json");
  std::ifstream file(testing::fixtures_dir() / "metrics/cases.json");
  const nlohmann::json document = nlohmann::json::parse(file);
  const auto& cases = document["cases"];
  ASSERT_GE(cases.size(), 10u);

  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto scores = c["scores"].get<std::vector<double>>();
    const auto labels = c["labels"].get<std::vector<double>>();
    const double positive_min = c["positive_min"].get<double>();
    const auto& expected = c["expected"];

    const Metrics m = compute_metrics(scores, labels, c["threshold"].get<double>(), positive_min);
    EXPECT_EQ(m.count, expected["count"].get<size_t>());
    EXPECT_EQ(m.positives, expected["positives"].get<int64_t>());
    EXPECT_EQ(m.negatives, expected["negatives"].get<int64_t>());
    expect_threshold_metrics(m.at_threshold, expected["at_threshold"]);
    EXPECT_EQ(m.best_threshold, expected["best_threshold"].get<double>());  // one of the scores
    EXPECT_NEAR(m.best_f1, expected["best_f1"].get<double>(), kTolerance);
    expect_optional_near(m.roc_auc, expected["roc_auc"], "roc_auc");
    expect_optional_near(m.pearson, expected["pearson"], "pearson");
    expect_optional_near(m.spearman, expected["spearman"], "spearman");

    // The stand-alone functions agree with the reference as well.
    const Positives positive(labels, positive_min);
    for (const auto& at : expected["other_thresholds"])
      expect_threshold_metrics(threshold_metrics(scores, positive.span(), at["threshold"]), at);
    expect_optional_near(roc_auc(scores, positive.span()), expected["roc_auc"], "roc_auc()");
    expect_optional_near(pearson(scores, labels), expected["pearson"], "pearson()");
    expect_optional_near(spearman(scores, labels), expected["spearman"], "spearman()");
  }
}

// scores 0.9 0.8 0.7 0.6, labels 1 0 1 0.
// AUC: positive 0.9 beats both negatives (2 wins), positive 0.7 beats only 0.6 (1 win): 3/4.
// F1 at each distinct score (2tp / (2tp + fp + fn)):
//   t=0.9: tp1 fp0 fn1 -> 2/3;  t=0.8: tp1 fp1 fn1 -> 1/2;  t=0.7: tp2 fp1 fn0 -> 4/5;
//   t=0.6: tp2 fp2 fn0 -> 2/3.  Best: 0.7 with 0.8.
// At threshold 0.75 the top two are predicted positive: tp1 fp1 fn1 tn1 -> everything 1/2.
TEST(MetricsByHand, FourElements) {
  const std::vector<double> scores = {0.9, 0.8, 0.7, 0.6}, labels = {1, 0, 1, 0};
  const Metrics m = compute_metrics(scores, labels, 0.75, 1);
  EXPECT_EQ(m.count, 4u);
  EXPECT_EQ(m.positives, 2);
  EXPECT_EQ(m.negatives, 2);
  EXPECT_DOUBLE_EQ(*m.roc_auc, 0.75);
  EXPECT_EQ(m.best_threshold, 0.7);
  EXPECT_DOUBLE_EQ(m.best_f1, 0.8);
  const ThresholdMetrics& t = m.at_threshold;
  EXPECT_EQ(t.confusion.true_positive, 1);
  EXPECT_EQ(t.confusion.false_positive, 1);
  EXPECT_EQ(t.confusion.false_negative, 1);
  EXPECT_EQ(t.confusion.true_negative, 1);
  EXPECT_DOUBLE_EQ(t.accuracy, 0.5);
  EXPECT_DOUBLE_EQ(t.precision, 0.5);
  EXPECT_DOUBLE_EQ(t.recall, 0.5);
  EXPECT_DOUBLE_EQ(t.f1, 0.5);
}

// A threshold equal to a score includes it ("score >= threshold"): at 0.7 three are predicted
// positive, tp2 fp1 fn0 tn1.
TEST(MetricsByHand, ThresholdIsInclusive) {
  const std::vector<double> scores = {0.9, 0.8, 0.7, 0.6};
  const bool positive[] = {true, false, true, false};
  const ThresholdMetrics t = threshold_metrics(scores, positive, 0.7);
  EXPECT_EQ(t.confusion.true_positive, 2);
  EXPECT_EQ(t.confusion.false_positive, 1);
  EXPECT_EQ(t.confusion.true_negative, 1);
  EXPECT_DOUBLE_EQ(t.precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(t.recall, 1.0);
}

// labels 1 0 0 1: F1 is 2/3 both at t=0.9 (tp1 fp0 fn1) and at t=0.6 (tp2 fp2 fn0); the rule picks
// the higher threshold. AUC: 0.9 wins twice, 0.6 never: 2/4.
TEST(MetricsByHand, EqualBestF1PicksHighestThreshold) {
  const std::vector<double> scores = {0.9, 0.8, 0.7, 0.6}, labels = {1, 0, 0, 1};
  const Metrics m = compute_metrics(scores, labels, 0.5, 1);
  EXPECT_EQ(m.best_threshold, 0.9);
  EXPECT_DOUBLE_EQ(m.best_f1, 2.0 / 3);
  EXPECT_DOUBLE_EQ(*m.roc_auc, 0.5);
}

// scores 0.1 0.2 0.3, labels 1 1 0:
//   t=0.3 -> F1 0;  t=0.2 -> tp1 fp1 fn1 -> 1/2;  t=0.1 -> tp2 fp1 fn0 -> 4/5.
TEST(MetricsByHand, BestF1AtLowestScore) {
  const std::vector<double> scores = {0.1, 0.2, 0.3}, labels = {1, 1, 0};
  const Metrics m = compute_metrics(scores, labels, 0.5, 1);
  EXPECT_EQ(m.best_threshold, 0.1);
  EXPECT_DOUBLE_EQ(m.best_f1, 0.8);
}

// scores 0.5 0.5 0.1, labels 1 0 0: the positive ties with one negative (1/2) and beats the other
// (1): AUC 1.5/2. The tied scores switch together: at t=0.5 tp1 fp1 -> F1 2/3.
TEST(MetricsByHand, TiesCountHalf) {
  const std::vector<double> scores = {0.5, 0.5, 0.1}, labels = {1, 0, 0};
  const Metrics m = compute_metrics(scores, labels, 0.5, 1);
  EXPECT_DOUBLE_EQ(*m.roc_auc, 0.75);
  EXPECT_EQ(m.best_threshold, 0.5);
  EXPECT_DOUBLE_EQ(m.best_f1, 2.0 / 3);
}

// No positives and nothing predicted positive: precision, recall and F1 are 0/0, reported as 0.
TEST(MetricsByHand, ZeroDivisionIsZero) {
  const std::vector<double> scores = {0.1, 0.2};
  const bool positive[] = {false, false};
  const ThresholdMetrics t = threshold_metrics(scores, positive, 0.5);
  EXPECT_EQ(t.confusion.true_negative, 2);
  EXPECT_DOUBLE_EQ(t.accuracy, 1.0);
  EXPECT_EQ(t.precision, 0.0);
  EXPECT_EQ(t.recall, 0.0);
  EXPECT_EQ(t.f1, 0.0);
  EXPECT_FALSE(roc_auc(scores, positive).has_value());
}

// Graded labels: positive when label >= positive_min; correlations use the raw grades.
TEST(MetricsByHand, GradedLabels) {
  const std::vector<double> scores = {0.1, 0.4, 0.35, 0.8}, labels = {0, 2.5, 3, 5};
  const Metrics m = compute_metrics(scores, labels, 0.5, 3);
  EXPECT_EQ(m.positives, 2);
  EXPECT_EQ(m.negatives, 2);
  // Positive 0.35 beats 0.1 only, positive 0.8 beats both: 3/4.
  EXPECT_DOUBLE_EQ(*m.roc_auc, 0.75);
  // Score ranks 1 3 2 4 against label ranks 1 2 3 4: 1 - 6*2/(4*15) = 0.8.
  EXPECT_NEAR(*m.spearman, 0.8, 1e-15);
}

// x 1 2 3, y 1 2 4: deviations -1 0 1 and -4/3 -1/3 5/3; sxy 3, sxx 2, syy 42/9, r = 9/sqrt(84).
TEST(MetricsByHand, Pearson) {
  const std::vector<double> x = {1, 2, 3}, y = {1, 2, 4};
  EXPECT_NEAR(*pearson(x, y), 9 / std::sqrt(84.0), 1e-15);
  EXPECT_NEAR(*spearman(x, y), 1.0, 1e-15);
}

// A large common offset ruins the one-pass formula (sum x^2 - n mean^2); two passes keep it exact.
TEST(MetricsByHand, PearsonWithLargeOffset) {
  const std::vector<double> x = {1e9 + 1, 1e9 + 2, 1e9 + 3}, y = {1, 2, 4};
  EXPECT_NEAR(*pearson(x, y), 9 / std::sqrt(84.0), 1e-15);
  const std::vector<double> tiny = {1e-200, 2e-200, 4e-200};  // squares would underflow unscaled
  EXPECT_NEAR(*pearson(x, tiny), 9 / std::sqrt(84.0), 1e-15);
}

// x ranks 1 2.5 2.5 4 (average ranks for the tie), y ranks 1 3 2 4:
// r = 4.5 / sqrt(4.5 * 5) = sqrt(0.9).
TEST(MetricsByHand, SpearmanAverageRanks) {
  const std::vector<double> x = {1, 2, 2, 3}, y = {1, 3, 2, 4};
  EXPECT_NEAR(*spearman(x, y), std::sqrt(0.9), 1e-15);
}

TEST(MetricsByHand, UndefinedCorrelations) {
  const std::vector<double> constant = {0.5, 0.5, 0.5}, varying = {1, 2, 3}, one = {1};
  EXPECT_FALSE(pearson(constant, varying).has_value());
  EXPECT_FALSE(pearson(varying, constant).has_value());
  EXPECT_FALSE(spearman(constant, varying).has_value());
  EXPECT_FALSE(pearson(one, one).has_value());
  EXPECT_FALSE(spearman(one, one).has_value());
}

TEST(MetricsByHand, EmptyInput) {
  const Metrics m = compute_metrics({}, {}, 0.5, 1);
  EXPECT_EQ(m.count, 0u);
  EXPECT_EQ(m.best_f1, 0.0);
  EXPECT_EQ(m.at_threshold.accuracy, 0.0);
  EXPECT_FALSE(m.roc_auc.has_value());
  EXPECT_FALSE(m.pearson.has_value());
  EXPECT_FALSE(m.spearman.has_value());
}

TEST(MetricsByHand, RejectsBadInput) {
  const std::vector<double> two = {0.1, 0.2}, three = {0.1, 0.2, 0.3}, with_nan = {0.1, NAN};
  EXPECT_THROW(compute_metrics(two, three, 0.5, 1), std::invalid_argument);
  EXPECT_THROW(compute_metrics(with_nan, two, 0.5, 1), std::invalid_argument);
  EXPECT_THROW(pearson(two, with_nan), std::invalid_argument);
}

// The sweep must give the brute-force answer on many ties, and a million equal scores (one tie
// group) must not make it quadratic.
TEST(MetricsByHand, SweepMatchesBruteForceOnTies) {
  std::vector<double> scores, labels;
  for (int i = 0; i < 2000; ++i) {
    scores.push_back(static_cast<double>((i * 7919) % 37) / 36);  // 37 distinct values
    labels.push_back((i * 104729) % 5 < 2 ? 1 : 0);
  }
  const Metrics m = compute_metrics(scores, labels, 0.5, 1);
  const Positives positive(labels, 1);
  double best_f1 = -1, best_threshold = 0;
  std::vector<double> distinct = scores;
  std::sort(distinct.begin(), distinct.end(), std::greater<>());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  for (double t : distinct) {
    const double f1 = threshold_metrics(scores, positive.span(), t).f1;
    if (f1 > best_f1) best_f1 = f1, best_threshold = t;
  }
  EXPECT_EQ(m.best_threshold, best_threshold);
  EXPECT_DOUBLE_EQ(m.best_f1, best_f1);
  const std::vector<double> big(1'000'000, 0.0);
  EXPECT_EQ(compute_metrics(big, big, 0.5, 1).best_threshold, 0.0);
}

// Scores 0.9 .. 0.5 with positives at 0.9 and 0.7: the curve, AP, MCC and the best accuracy worked
// out by hand, and sentence-transformers' midpoint thresholds.
TEST(MetricsByHand, CurveAveragePrecisionMccAndEvaluatorMetrics) {
  const std::vector<double> scores = {0.9f, 0.8f, 0.7f, 0.6f, 0.5f};
  const std::vector<double> labels = {1, 0, 1, 0, 0};
  const Metrics m = compute_metrics(scores, labels, 0.75, 1);
  ASSERT_EQ(m.curve.size(), 5u);
  EXPECT_EQ(m.curve[0].threshold, scores[0]);
  EXPECT_EQ(m.curve[2].confusion.true_positive, 2);
  EXPECT_EQ(m.curve[2].confusion.false_positive, 1);
  EXPECT_EQ(m.curve[2].confusion.true_negative, 2);
  EXPECT_EQ(m.curve[2].confusion.false_negative, 0);
  // Recall rises by 1/2 at precision 1 and by 1/2 at precision 2/3.
  ASSERT_TRUE(m.average_precision.has_value());
  EXPECT_NEAR(*m.average_precision, 0.5 + 1.0 / 3, 1e-15);
  // At 0.75: tp 1, fp 1, tn 2, fn 1, so (1*2 - 1*1) / sqrt(2*2*3*3).
  EXPECT_NEAR(m.at_threshold.mcc, 1.0 / 6, 1e-15);
  // Accuracy 4/5 at 0.9 and at 0.7: the higher one wins.
  EXPECT_DOUBLE_EQ(m.best_accuracy, 0.8);
  EXPECT_EQ(m.best_accuracy_threshold, scores[0]);

  const std::unique_ptr<bool[]> positive(new bool[5]{true, false, true, false, false});
  const auto st = binary_classification_evaluator_metrics(scores, std::span<const bool>(positive.get(), 5), m.curve);
  EXPECT_DOUBLE_EQ(st.accuracy, 0.8);
  EXPECT_EQ(st.accuracy_threshold, static_cast<double>((0.9f + 0.8f) / 2));
  EXPECT_DOUBLE_EQ(st.f1, 0.8);
  EXPECT_DOUBLE_EQ(st.precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(st.recall, 1.0);
  EXPECT_EQ(st.f1_threshold, static_cast<double>((0.7f + 0.6f) / 2));
  EXPECT_NEAR(*st.ap, *m.average_precision, 0);
  // At 0.65: tp 2, fp 1, tn 2, fn 0, so (2*2 - 1*0) / sqrt(3*2*3*2).
  EXPECT_NEAR(st.mcc, 4.0 / 6, 1e-15);
}

TEST(MetricsByHand, NothingPositiveIsTheBestAccuracy) {
  const std::vector<double> scores = {0.9f, 0.1f, 0.2f};
  const std::vector<double> labels = {0, 0, 0};
  const Metrics m = compute_metrics(scores, labels, 0.5, 1);
  EXPECT_DOUBLE_EQ(m.best_accuracy, 1.0);
  EXPECT_EQ(m.best_accuracy_threshold, static_cast<double>(std::nextafter(0.9f, 1.0f)));
  EXPECT_FALSE(m.average_precision.has_value());
  EXPECT_EQ(m.at_threshold.mcc, 0.0);  // sklearn: 0 when a class is absent
}

}  // namespace
}  // namespace simscore
