#pragma once
// Offline-evaluation metrics over (score, label) pairs, defined exactly as scikit-learn and scipy
// define them, so that `simscore eval` reports the numbers a researcher would compute by hand.
//
// Preconditions, checked on entry (std::invalid_argument: a caller's bug, not bad user input):
// paired spans have equal length and every value is finite, as sklearn's own input checks require.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace simscore {

struct ConfusionMatrix {
  int64_t true_positive = 0, false_positive = 0, true_negative = 0, false_negative = 0;
};

// Metrics of the decision "score >= threshold means positive".
struct ThresholdMetrics {
  double threshold = 0;
  ConfusionMatrix confusion;
  double accuracy = 0, precision = 0, recall = 0, f1 = 0;  // sklearn's zero_division=0 convention
  double mcc = 0;  // sklearn.metrics.matthews_corrcoef: 0 when a row or column of the matrix is empty
};

// One decision "score >= threshold" per distinct score: the rows of a precision-recall or ROC curve.
struct CurvePoint {
  double threshold = 0;
  ConfusionMatrix confusion;
};

struct Metrics {
  size_t count = 0;
  int64_t positives = 0, negatives = 0;
  ThresholdMetrics at_threshold;
  // The threshold (one of the distinct scores) that maximises F1, and that F1. On equal F1 the
  // highest such score wins (the most conservative decision); with no scores both are 0.
  double best_threshold = 0, best_f1 = 0;
  // The same for accuracy, which can also be best with nothing predicted positive: then the
  // threshold is the float just above the highest score (as sentence-transformers reports it).
  double best_accuracy = 0, best_accuracy_threshold = 0;
  std::optional<double> average_precision;  // sklearn.metrics.average_precision_score; undefined
                                            // without positives
  std::optional<double> roc_auc;   // undefined when only one class is present
  std::optional<double> pearson;   // of scores against the raw labels; undefined for constant input
  std::optional<double> spearman;  // with average ranks for ties, as scipy.stats.spearmanr
  std::vector<CurvePoint> curve;   // threshold_curve of the scores
};

// `labels` are the raw labels (0/1 or graded); a label is positive when label >= positive_min.
Metrics compute_metrics(std::span<const double> scores, std::span<const double> labels,
                        double threshold, double positive_min);

// accuracy/precision/recall/f1_score and confusion_matrix of sklearn.metrics; accuracy is 0 when
// there are no scores (sklearn refuses empty input).
ThresholdMetrics threshold_metrics(std::span<const double> scores, std::span<const bool> positive,
                                   double threshold);
// One point per distinct score, the highest threshold first (so the last one predicts every pair
// positive). Empty for no scores.
std::vector<CurvePoint> threshold_curve(std::span<const double> scores, std::span<const bool> positive);
// sklearn.metrics.average_precision_score over a threshold_curve: the sum over its points of
// (recall - previous recall) x precision. nullopt when there are no positives.
std::optional<double> average_precision(std::span<const CurvePoint> curve);
// A confusion matrix's ratios, each 0 when its denominator is (sklearn's zero_division=0).
struct Rates {
  double precision = 0, recall = 0, f1 = 0, false_positive_rate = 0;  // recall is the TPR
};
Rates rates(const ConfusionMatrix& confusion);
// sklearn.metrics.matthews_corrcoef of a confusion matrix.
double matthews_corrcoef(const ConfusionMatrix& confusion);

// sklearn.metrics.roc_auc_score: the probability that a positive outscores a negative, ties
// counting 1/2. nullopt when only one class is present.
std::optional<double> roc_auc(std::span<const double> scores, std::span<const bool> positive);
// scipy.stats.pearsonr / spearmanr. nullopt for fewer than two values or a constant input.
std::optional<double> pearson(std::span<const double> x, std::span<const double> y);
std::optional<double> spearman(std::span<const double> x, std::span<const double> y);

}  // namespace simscore
