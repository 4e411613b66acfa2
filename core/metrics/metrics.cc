#include "core/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace simscore {
namespace {

void require_same_size(size_t a, size_t b, const char* what) {
  if (a != b)
    throw std::invalid_argument(std::string(what) + ": inputs differ in length (" +
                                std::to_string(a) + " vs " + std::to_string(b) + ")");
}

// sklearn and scipy reject NaN and infinity too; std::sort needs it (NaN breaks its ordering).
void require_finite(std::span<const double> values, const char* what) {
  for (double v : values)
    if (!std::isfinite(v)) throw std::invalid_argument(std::string(what) + ": non-finite value");
}

void require_number(double value, const char* what) {
  if (std::isnan(value)) throw std::invalid_argument(std::string(what) + ": NaN");
}

// Indices of `values` in ascending order of value; equal values end up next to each other, which is
// all the sweeps below need.
std::vector<size_t> ascending_order(std::span<const double> values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  return order;
}

// 1-based ranks where equal values share the mean of their positions (scipy.stats.rankdata's
// "average" method).
std::vector<double> average_ranks(std::span<const double> values,
                                  const std::vector<size_t>& order) {
  std::vector<double> ranks(values.size());
  for (size_t begin = 0; begin < order.size();) {
    size_t end = begin + 1;
    while (end < order.size() && values[order[end]] == values[order[begin]]) ++end;
    // Positions begin+1 .. end (1-based) share their mean.
    const double rank = (static_cast<double>(begin + 1) + static_cast<double>(end)) / 2;
    for (size_t i = begin; i < end; ++i) ranks[order[i]] = rank;
    begin = end;
  }
  return ranks;
}

// Lowers the threshold one distinct score at a time (all equal scores switch together), so each
// point's confusion matrix is the previous one plus one tie group: O(n) after the sort.
std::vector<CurvePoint> threshold_curve_sorted(std::span<const double> scores,
                                               std::span<const bool> positive,
                                               const std::vector<size_t>& order) {
  const auto total_positive =
      static_cast<int64_t>(std::count(positive.begin(), positive.end(), true));
  const auto total_negative = static_cast<int64_t>(positive.size()) - total_positive;
  std::vector<CurvePoint> curve;
  int64_t tp = 0, fp = 0;
  for (size_t end = order.size(); end > 0;) {
    const double threshold = scores[order[end - 1]];
    while (end > 0 && scores[order[end - 1]] == threshold) {
      --end;
      positive[order[end]] ? ++tp : ++fp;
    }
    curve.push_back({threshold, {tp, fp, total_negative - fp, total_positive - tp}});
  }
  return curve;
}

// The threshold of the highest F1 and of the highest accuracy. Both are ratios of exact integers
// (2tp / (2tp + fp + fn) and (tp + tn) / n), so equal values compare equal in double as well, and
// the strict ">" keeps the highest threshold among them.
void set_best_thresholds(const std::vector<CurvePoint>& curve, Metrics& m) {
  m.best_f1 = 0;
  m.best_threshold = 0;
  m.best_accuracy = m.count ? static_cast<double>(m.negatives) / static_cast<double>(m.count) : 0;
  m.best_accuracy_threshold =
      curve.empty() ? 0
                    : static_cast<double>(std::nextafter(static_cast<float>(curve.front().threshold),
                                                         std::numeric_limits<float>::infinity()));
  bool found_f1 = false;
  for (const CurvePoint& p : curve) {
    const ConfusionMatrix& c = p.confusion;
    const double f1 = 2.0 * static_cast<double>(c.true_positive) /
                      static_cast<double>(2 * c.true_positive + c.false_positive + c.false_negative);
    if (!found_f1 || f1 > m.best_f1) {
      m.best_f1 = f1;
      m.best_threshold = p.threshold;
      found_f1 = true;
    }
    const double accuracy = static_cast<double>(c.true_positive + c.true_negative) /
                            static_cast<double>(m.count);
    if (accuracy > m.best_accuracy) {
      m.best_accuracy = accuracy;
      m.best_accuracy_threshold = p.threshold;
    }
  }
}

// The Mann-Whitney count: each positive wins against every negative scored strictly below it and
// half-wins against every negative with the same score. Counted in halves so that it stays an exact
// integer; sklearn's trapezoid over the ROC curve gives the same value up to rounding.
std::optional<double> roc_auc_sorted(std::span<const double> scores, std::span<const bool> positive,
                                     const std::vector<size_t>& order) {
  int64_t positives = 0, negatives_below = 0, twice_wins = 0;
  for (size_t begin = 0; begin < order.size();) {
    int64_t group_positives = 0, group_negatives = 0;
    size_t end = begin;
    for (; end < order.size() && scores[order[end]] == scores[order[begin]]; ++end)
      positive[order[end]] ? ++group_positives : ++group_negatives;
    twice_wins += group_positives * (2 * negatives_below + group_negatives);
    positives += group_positives;
    negatives_below += group_negatives;
    begin = end;
  }
  if (positives == 0 || negatives_below == 0) return std::nullopt;
  return static_cast<double>(twice_wins) /
         (2.0 * static_cast<double>(positives) * static_cast<double>(negatives_below));
}

bool is_constant(std::span<const double> values) {
  return std::all_of(values.begin(), values.end(), [&](double v) { return v == values[0]; });
}

// Mean by a sum and one correcting pass over the residuals.
double careful_mean(std::span<const double> values) {
  const auto n = static_cast<double>(values.size());
  double sum = 0;
  for (double v : values) sum += v;
  const double mean = sum / n;
  double residual = 0;
  for (double v : values) residual += v - mean;
  return mean + residual / n;
}

// Two passes: means first, then sums of products of deviations. Deviations are divided by their
// largest magnitude first (as scipy.stats.pearsonr does) so their squares neither overflow nor
// underflow. Non-constant input always has a deviation of magnitude exactly 1 after scaling.
std::optional<double> pearson_unchecked(std::span<const double> x, std::span<const double> y) {
  if (x.size() < 2 || is_constant(x) || is_constant(y)) return std::nullopt;
  const double mean_x = careful_mean(x), mean_y = careful_mean(y);
  double scale_x = 0, scale_y = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    scale_x = std::max(scale_x, std::abs(x[i] - mean_x));
    scale_y = std::max(scale_y, std::abs(y[i] - mean_y));
  }
  double sxx = 0, syy = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double dx = (x[i] - mean_x) / scale_x, dy = (y[i] - mean_y) / scale_y;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  return std::clamp(sxy / (std::sqrt(sxx) * std::sqrt(syy)), -1.0, 1.0);
}

}  // namespace

ThresholdMetrics threshold_metrics(std::span<const double> scores, std::span<const bool> positive,
                                   double threshold) {
  require_same_size(scores.size(), positive.size(), "threshold_metrics");
  require_finite(scores, "threshold_metrics scores");
  require_number(threshold, "threshold_metrics threshold");
  ThresholdMetrics m;
  m.threshold = threshold;
  ConfusionMatrix& c = m.confusion;
  for (size_t i = 0; i < scores.size(); ++i) {
    const bool predicted = scores[i] >= threshold;
    if (positive[i])
      predicted ? ++c.true_positive : ++c.false_negative;
    else
      predicted ? ++c.false_positive : ++c.true_negative;
  }
  m.accuracy = scores.empty() ? 0
                              : static_cast<double>(c.true_positive + c.true_negative) /
                                    static_cast<double>(scores.size());
  const Rates r = rates(c);
  m.precision = r.precision;
  m.recall = r.recall;
  m.f1 = r.f1;
  m.mcc = matthews_corrcoef(c);
  return m;
}

Rates rates(const ConfusionMatrix& c) {
  const auto ratio = [](int64_t numerator, int64_t denominator) {
    return denominator ? static_cast<double>(numerator) / static_cast<double>(denominator) : 0.0;
  };
  const int64_t tp = c.true_positive, fp = c.false_positive, fn = c.false_negative;
  return {ratio(tp, tp + fp), ratio(tp, tp + fn), ratio(2 * tp, 2 * tp + fp + fn),
          ratio(fp, fp + c.true_negative)};
}

double matthews_corrcoef(const ConfusionMatrix& c) {
  // sklearn's form: covariances from the matrix's row sums (true classes) and column sums
  // (predictions), here for two classes, in double as numpy computes them.
  const auto d = [](int64_t v) { return static_cast<double>(v); };
  const double tp = d(c.true_positive), fp = d(c.false_positive), tn = d(c.true_negative),
               fn = d(c.false_negative);
  const double n = tp + fp + tn + fn;
  const double true_negative_sum = tn + fp, true_positive_sum = fn + tp;
  const double predicted_negative_sum = tn + fn, predicted_positive_sum = fp + tp;
  const double cov_true_predicted = (tp + tn) * n - (true_negative_sum * predicted_negative_sum +
                                                     true_positive_sum * predicted_positive_sum);
  const double cov_predicted = n * n - (predicted_negative_sum * predicted_negative_sum +
                                        predicted_positive_sum * predicted_positive_sum);
  const double cov_true =
      n * n - (true_negative_sum * true_negative_sum + true_positive_sum * true_positive_sum);
  if (cov_predicted * cov_true == 0) return 0;
  return cov_true_predicted / std::sqrt(cov_true * cov_predicted);
}

std::vector<CurvePoint> threshold_curve(std::span<const double> scores, std::span<const bool> positive) {
  require_same_size(scores.size(), positive.size(), "threshold_curve");
  require_finite(scores, "threshold_curve scores");
  return threshold_curve_sorted(scores, positive, ascending_order(scores));
}

std::optional<double> average_precision(std::span<const CurvePoint> curve) {
  if (curve.empty()) return std::nullopt;
  const int64_t total_positive =
      curve.back().confusion.true_positive + curve.back().confusion.false_negative;
  if (total_positive == 0) return std::nullopt;
  double sum = 0, previous_recall = 0;
  for (const CurvePoint& p : curve) {
    const ConfusionMatrix& c = p.confusion;
    const double recall = static_cast<double>(c.true_positive) / static_cast<double>(total_positive);
    const double precision = static_cast<double>(c.true_positive) /
                             static_cast<double>(c.true_positive + c.false_positive);
    sum += (recall - previous_recall) * precision;
    previous_recall = recall;
  }
  return sum;
}

std::optional<double> roc_auc(std::span<const double> scores, std::span<const bool> positive) {
  require_same_size(scores.size(), positive.size(), "roc_auc");
  require_finite(scores, "roc_auc scores");
  return roc_auc_sorted(scores, positive, ascending_order(scores));
}

std::optional<double> pearson(std::span<const double> x, std::span<const double> y) {
  require_same_size(x.size(), y.size(), "pearson");
  require_finite(x, "pearson x");
  require_finite(y, "pearson y");
  return pearson_unchecked(x, y);
}

std::optional<double> spearman(std::span<const double> x, std::span<const double> y) {
  require_same_size(x.size(), y.size(), "spearman");
  require_finite(x, "spearman x");
  require_finite(y, "spearman y");
  const std::vector<double> rank_x = average_ranks(x, ascending_order(x));
  const std::vector<double> rank_y = average_ranks(y, ascending_order(y));
  return pearson_unchecked(rank_x, rank_y);
}

Metrics compute_metrics(std::span<const double> scores, std::span<const double> labels,
                        double threshold, double positive_min) {
  require_same_size(scores.size(), labels.size(), "compute_metrics");
  require_finite(scores, "compute_metrics scores");
  require_finite(labels, "compute_metrics labels");
  require_number(threshold, "compute_metrics threshold");
  require_number(positive_min, "compute_metrics positive_min");

  const size_t n = scores.size();
  // A plain array: std::vector<bool> is packed and cannot be viewed as a span.
  const auto positive = std::make_unique<bool[]>(n);
  Metrics m;
  m.count = n;
  for (size_t i = 0; i < n; ++i) {
    positive[i] = labels[i] >= positive_min;
    positive[i] ? ++m.positives : ++m.negatives;
  }
  const std::span<const bool> is_positive(positive.get(), n);

  m.at_threshold = threshold_metrics(scores, is_positive, threshold);
  // One sort of the scores serves the curve, the AUC and the scores' Spearman ranks.
  const std::vector<size_t> order = ascending_order(scores);
  m.curve = threshold_curve_sorted(scores, is_positive, order);
  set_best_thresholds(m.curve, m);
  m.average_precision = average_precision(m.curve);
  m.roc_auc = roc_auc_sorted(scores, is_positive, order);
  m.pearson = pearson_unchecked(scores, labels);
  m.spearman = pearson_unchecked(average_ranks(scores, order),
                                 average_ranks(labels, ascending_order(labels)));
  return m;
}

}  // namespace simscore
