#pragma once
// Several systems evaluated on the same rows: each one's metrics with bootstrap intervals, and for
// each pair the differences with paired-bootstrap intervals and McNemar's exact test on their
// decisions. What `simscore eval` prints and reports when it compares models or score files.

#include <optional>
#include <span>
#include <vector>

#include "core/metrics/bootstrap.h"
#include "core/metrics/mcnemar.h"
#include "core/metrics/metrics.h"
#include "core/metrics/weighted_metrics.h"

namespace simscore {

struct SystemEvaluation {
  Metrics metrics;           // compute_metrics at the system's threshold
  MetricValues values;       // the resampled metrics' values on the rows themselves
  MetricIntervals intervals; // all nullopt without resamples
};

struct PairEvaluation {
  size_t a = 0, b = 0;                  // indices into the systems, a < b
  MetricValues difference;              // value(a) - value(b); nullopt where either is undefined
  MetricIntervals intervals;            // paired-bootstrap intervals of the difference
  std::optional<McNemarResult> mcnemar; // on the decisions at each one's threshold; binary labels only
};

struct Comparison {
  std::vector<SystemEvaluation> systems;
  std::vector<PairEvaluation> pairs;  // (0,1), (0,2), ..., (1,2), ...
};

// `labels` are the raw labels; binary: the labels are (or are cut by positive_min into) two
// classes, else only Spearman is resampled. options.resamples 0: no intervals.
Comparison compare_systems(std::span<const BootstrapSystem> systems, std::span<const double> labels,
                           double positive_min, bool binary, const BootstrapOptions& options);

}  // namespace simscore
