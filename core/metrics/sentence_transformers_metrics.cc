#include "core/metrics/sentence_transformers_metrics.h"

#include <cmath>
#include <limits>

namespace simscore {
namespace {

// The evaluator's threshold after the tie group at curve[k]: halfway to the next lower score (the
// group's own score when the midpoint rounds onto the next one), or the score itself for the last.
double midpoint_threshold(std::span<const CurvePoint> curve, size_t k) {
  const auto score = static_cast<float>(curve[k].threshold);
  if (k + 1 == curve.size()) return score;
  const auto next = static_cast<float>(curve[k + 1].threshold);
  const float midpoint = (score + next) / 2;
  return midpoint == next ? score : midpoint;
}

}  // namespace

BinaryClassificationEvaluatorMetrics binary_classification_evaluator_metrics(
    std::span<const double> scores, std::span<const bool> positive, std::span<const CurvePoint> curve) {
  BinaryClassificationEvaluatorMetrics m;
  const auto n = static_cast<double>(scores.size());
  if (curve.empty()) return m;
  const int64_t total_positive = curve.back().confusion.true_positive + curve.back().confusion.false_negative;
  const int64_t total_negative = curve.back().confusion.false_positive + curve.back().confusion.true_negative;

  // find_best_acc_and_threshold: starts from "nothing is positive", just above the highest score.
  m.accuracy = static_cast<double>(total_negative) / n;
  m.accuracy_threshold = std::nextafter(static_cast<float>(curve.front().threshold),
                                        std::numeric_limits<float>::infinity());
  // find_best_f1_and_threshold: starts from 0 everywhere.
  for (size_t k = 0; k < curve.size(); ++k) {
    const ConfusionMatrix& c = curve[k].confusion;
    const double accuracy = static_cast<double>(c.true_positive + c.true_negative) / n;
    if (accuracy > m.accuracy) {
      m.accuracy = accuracy;
      m.accuracy_threshold = midpoint_threshold(curve, k);
    }
    if (c.true_positive == 0) continue;
    const double precision = static_cast<double>(c.true_positive) /
                             static_cast<double>(c.true_positive + c.false_positive);
    const double recall = static_cast<double>(c.true_positive) / static_cast<double>(total_positive);
    const double f1 = 2 * precision * recall / (precision + recall);
    if (f1 > m.f1) {
      m.f1 = f1;
      m.precision = precision;
      m.recall = recall;
      m.f1_threshold = midpoint_threshold(curve, k);
    }
  }
  m.ap = average_precision(curve);
  m.mcc = threshold_metrics(scores, positive, m.f1_threshold).mcc;
  return m;
}

}  // namespace simscore
