#pragma once
// The metrics of one bootstrap resample from its row counts (core/metrics/resample.h), without
// sorting again: each score column is sorted once into groups of equal values, and every metric is
// a weighted sweep over those groups. A row drawn k times weighs k, so each value equals what
// scikit-learn and scipy compute on the resample's rows written out, ties included (a tie group
// switches together; average ranks for Spearman). Groups of weight 0 are skipped, as their rows
// are absent from the resample.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace simscore {

// The metrics that get intervals: F1 and accuracy at the system's threshold, the best F1 over all
// thresholds, average precision, ROC-AUC and Spearman (of the scores against the raw labels).
enum class ResampledMetric { f1, best_f1, accuracy, average_precision, roc_auc, spearman };
inline constexpr size_t kResampledMetrics = 6;
inline constexpr std::array<ResampledMetric, kResampledMetrics> kAllResampledMetrics = {
    ResampledMetric::f1,        ResampledMetric::best_f1, ResampledMetric::accuracy,
    ResampledMetric::average_precision, ResampledMetric::roc_auc, ResampledMetric::spearman};
// The name `simscore eval` reports the metric under ("f1", "best_f1", ...).
std::string_view metric_name(ResampledMetric metric);

// nullopt: undefined on this sample (no positives for AP, one class for ROC-AUC, constant input
// for Spearman); the binary metrics are nullopt too when the labels are graded (binary false).
using MetricValues = std::array<std::optional<double>, kResampledMetrics>;

// A column's rows in ascending order of value, cut into groups of equal values.
class SortedColumn {
 public:
  explicit SortedColumn(std::span<const double> values);
  std::span<const uint32_t> order() const { return order_; }
  // Group g is order()[group_begin()[g] .. group_begin()[g + 1]); the last entry is the size.
  std::span<const uint32_t> group_begin() const { return group_begin_; }
  double value(size_t group) const { return values_[order_[group_begin_[group]]]; }

 private:
  std::span<const double> values_;
  std::vector<uint32_t> order_;
  std::vector<uint32_t> group_begin_;
};

// What every system of an evaluation shares: the labels and which rows are positive.
struct LabelColumn {
  LabelColumn(std::span<const double> labels, double positive_min, bool binary);
  SortedColumn sorted;
  std::vector<uint8_t> positive;
  bool binary;
};

// The metrics of the sample where row i appears weights[i] times (all 1: the plain metrics).
// `scores` is the SortedColumn of the same scores; `threshold` the system's decision threshold.
MetricValues weighted_metrics(const SortedColumn& scores, const LabelColumn& labels, double threshold,
                              std::span<const uint32_t> weights);

}  // namespace simscore
