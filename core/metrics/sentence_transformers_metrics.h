#pragma once
// The numbers sentence-transformers' BinaryClassificationEvaluator prints for cosine scores
// (cosine_accuracy, cosine_f1, ...), defined as its code defines them, so that a user can compare
// simscore's report with a sentence-transformers run line by line. Its thresholds differ from
// simscore's own best_threshold: they are midpoints between neighbouring distinct scores, and its
// F1 is 2PR / (P + R) in floating point.

#include <optional>
#include <span>

#include "core/metrics/metrics.h"

namespace simscore {

struct BinaryClassificationEvaluatorMetrics {
  double accuracy = 0, accuracy_threshold = 0;
  double f1 = 0, precision = 0, recall = 0, f1_threshold = 0;
  std::optional<double> ap;  // average_precision_score; undefined without positives
  double mcc = 0;            // matthews_corrcoef of "score >= f1_threshold"
};

// `curve` is threshold_curve(scores, positive). The scores are float32 values (cosines as torch
// computes them, and as simscore scores): the midpoints are taken in float, as numpy does for them.
BinaryClassificationEvaluatorMetrics binary_classification_evaluator_metrics(
    std::span<const double> scores, std::span<const bool> positive, std::span<const CurvePoint> curve);

}  // namespace simscore
