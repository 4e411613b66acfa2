#include "core/metrics/weighted_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace simscore {
namespace {

double ratio(double numerator, double denominator) { return denominator ? numerator / denominator : 0.0; }

// Each row's average rank (1-based, scipy.stats.rankdata "average") in the weighted sample: a group
// of total weight w after c lighter rows holds positions c+1 .. c+w, whose mean is c + (w + 1) / 2.
void weighted_ranks(const SortedColumn& column, std::span<const uint32_t> weights, std::vector<double>& ranks) {
  const auto order = column.order();
  const auto begin = column.group_begin();
  double below = 0;
  for (size_t g = 0; g + 1 < begin.size(); ++g) {
    double weight = 0;
    for (uint32_t i = begin[g]; i < begin[g + 1]; ++i) weight += weights[order[i]];
    const double rank = below + (weight + 1) / 2;
    for (uint32_t i = begin[g]; i < begin[g + 1]; ++i) ranks[order[i]] = rank;
    below += weight;
  }
}

// Pearson's r of the average ranks: both have the mean (n + 1) / 2 exactly, n the total weight.
std::optional<double> weighted_spearman(const SortedColumn& x, const SortedColumn& y,
                                        std::span<const uint32_t> weights) {
  thread_local std::vector<double> rank_x, rank_y;
  rank_x.resize(weights.size());
  rank_y.resize(weights.size());
  weighted_ranks(x, weights, rank_x);
  weighted_ranks(y, weights, rank_y);
  double n = 0;
  for (uint32_t w : weights) n += w;
  const double mean = (n + 1) / 2;
  double sxx = 0, syy = 0, sxy = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!weights[i]) continue;
    const double dx = rank_x[i] - mean, dy = rank_y[i] - mean, w = weights[i];
    sxx += w * dx * dx;
    syy += w * dy * dy;
    sxy += w * dx * dy;
  }
  if (sxx == 0 || syy == 0) return std::nullopt;  // one group holds every row: constant
  return std::clamp(sxy / (std::sqrt(sxx) * std::sqrt(syy)), -1.0, 1.0);
}

}  // namespace

std::string_view metric_name(ResampledMetric metric) {
  switch (metric) {
    case ResampledMetric::f1: return "f1";
    case ResampledMetric::best_f1: return "best_f1";
    case ResampledMetric::accuracy: return "accuracy";
    case ResampledMetric::average_precision: return "average_precision";
    case ResampledMetric::roc_auc: return "roc_auc";
    case ResampledMetric::spearman: return "spearman";
  }
  return "";
}

SortedColumn::SortedColumn(std::span<const double> values) : values_(values), order_(values.size()) {
  if (values.size() >= (size_t{1} << 32)) throw std::invalid_argument("SortedColumn: too many rows");
  for (double v : values)
    if (!std::isfinite(v)) throw std::invalid_argument("SortedColumn: non-finite value");
  std::iota(order_.begin(), order_.end(), 0u);
  std::sort(order_.begin(), order_.end(), [&](uint32_t a, uint32_t b) { return values[a] < values[b]; });
  for (uint32_t i = 0; i < order_.size(); ++i)
    if (i == 0 || values[order_[i]] != values[order_[i - 1]]) group_begin_.push_back(i);
  group_begin_.push_back(static_cast<uint32_t>(order_.size()));
}

LabelColumn::LabelColumn(std::span<const double> labels, double positive_min, bool binary_)
    : sorted(labels), positive(labels.size()), binary(binary_) {
  for (size_t i = 0; i < labels.size(); ++i) positive[i] = labels[i] >= positive_min;
}

MetricValues weighted_metrics(const SortedColumn& scores, const LabelColumn& labels, double threshold,
                              std::span<const uint32_t> weights) {
  if (scores.order().size() != weights.size() || labels.positive.size() != weights.size())
    throw std::invalid_argument("weighted_metrics: inputs differ in length");
  MetricValues out;
  out[static_cast<size_t>(ResampledMetric::spearman)] = weighted_spearman(scores, labels.sorted, weights);
  if (!labels.binary) return out;

  // Counts are integers below 2^53, so these sums are exact in double.
  double positives = 0, negatives = 0;
  for (size_t i = 0; i < weights.size(); ++i) (labels.positive[i] ? positives : negatives) += weights[i];
  const double n = positives + negatives;

  // Lower the threshold one group at a time, the highest score first (threshold_curve's sweep).
  const auto order = scores.order();
  const auto begin = scores.group_begin();
  double tp = 0, fp = 0, tp_at = 0, fp_at = 0, best_f1 = 0, ap = 0, previous_recall = 0;
  double twice_wins = 0;  // Mann-Whitney count in halves: a positive beats every lower negative
  bool found_f1 = false;
  for (size_t g = begin.size() - 1; g > 0; --g) {
    double group_positives = 0, group_negatives = 0;
    for (uint32_t i = begin[g - 1]; i < begin[g]; ++i)
      (labels.positive[order[i]] ? group_positives : group_negatives) += weights[order[i]];
    if (group_positives + group_negatives == 0) continue;
    const double negatives_below = negatives - fp - group_negatives;
    twice_wins += group_positives * (2 * negatives_below + group_negatives);
    tp += group_positives;
    fp += group_negatives;
    const double f1 = 2 * tp / (2 * tp + fp + (positives - tp));
    if (!found_f1 || f1 > best_f1) best_f1 = f1, found_f1 = true;
    if (positives > 0) {
      const double recall = tp / positives;
      ap += (recall - previous_recall) * (tp / (tp + fp));
      previous_recall = recall;
    }
    if (scores.value(g - 1) >= threshold) tp_at = tp, fp_at = fp;
  }
  const auto set = [&](ResampledMetric m, std::optional<double> v) { out[static_cast<size_t>(m)] = v; };
  set(ResampledMetric::f1, ratio(2 * tp_at, 2 * tp_at + fp_at + (positives - tp_at)));
  set(ResampledMetric::accuracy, ratio(tp_at + (negatives - fp_at), n));
  set(ResampledMetric::best_f1, best_f1);
  if (positives > 0) set(ResampledMetric::average_precision, ap);
  if (positives > 0 && negatives > 0)
    set(ResampledMetric::roc_auc, twice_wins / (2 * positives * negatives));
  return out;
}

}  // namespace simscore
