#include "core/metrics/comparison.h"

namespace simscore {
namespace {

MetricValues point_values(const Metrics& m, bool binary) {
  MetricValues v;
  const auto set = [&](ResampledMetric metric, std::optional<double> value) {
    v[static_cast<size_t>(metric)] = value;
  };
  set(ResampledMetric::spearman, m.spearman);
  if (!binary) return v;
  set(ResampledMetric::f1, m.at_threshold.f1);
  set(ResampledMetric::best_f1, m.best_f1);
  set(ResampledMetric::accuracy, m.at_threshold.accuracy);
  set(ResampledMetric::average_precision, m.average_precision);
  set(ResampledMetric::roc_auc, m.roc_auc);
  return v;
}

// Whether each row's decision "score >= threshold" matches its label.
std::vector<uint8_t> correct_decisions(const BootstrapSystem& s, const LabelColumn& labels) {
  std::vector<uint8_t> correct(s.scores.size());
  for (size_t i = 0; i < correct.size(); ++i) correct[i] = (s.scores[i] >= s.threshold) == (labels.positive[i] != 0);
  return correct;
}

}  // namespace

Comparison compare_systems(std::span<const BootstrapSystem> systems, std::span<const double> labels,
                           double positive_min, bool binary, const BootstrapOptions& options) {
  const LabelColumn label_column(labels, positive_min, binary);
  Comparison c;
  for (const BootstrapSystem& s : systems) {
    SystemEvaluation& e = c.systems.emplace_back();
    e.metrics = compute_metrics(s.scores, labels, s.threshold, positive_min);
    e.values = point_values(e.metrics, binary);
  }
  std::optional<BootstrapResult> intervals;
  if (options.resamples > 0 && !labels.empty()) {
    intervals = bootstrap_intervals(systems, label_column, options);
    for (size_t s = 0; s < systems.size(); ++s) c.systems[s].intervals = intervals->systems[s];
  }
  size_t pair = 0;
  for (size_t a = 0; a < systems.size(); ++a)
    for (size_t b = a + 1; b < systems.size(); ++b, ++pair) {
      PairEvaluation& p = c.pairs.emplace_back();
      p.a = a;
      p.b = b;
      for (size_t k = 0; k < kResampledMetrics; ++k) {
        const auto& va = c.systems[a].values[k];
        const auto& vb = c.systems[b].values[k];
        if (va && vb) p.difference[k] = *va - *vb;
      }
      if (intervals) p.intervals = intervals->differences[pair];
      if (binary)
        p.mcnemar = mcnemar_exact(correct_decisions(systems[a], label_column),
                                  correct_decisions(systems[b], label_column));
    }
  return c;
}

}  // namespace simscore
