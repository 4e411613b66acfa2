#pragma once
// Percentile-bootstrap confidence intervals over rows for several systems scored on the same rows,
// and paired intervals for the differences between them: every system is measured on the same
// resamples (one stream of row counts, core/metrics/resample.h), so a difference's interval
// reflects only how the systems disagree, not which rows happened to be drawn.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/metrics/weighted_metrics.h"

namespace simscore {

struct Interval {
  double low = 0, high = 0;
};
using MetricIntervals = std::array<std::optional<Interval>, kResampledMetrics>;

struct BootstrapSystem {
  std::span<const double> scores;  // one per row of the labels
  double threshold = 0;            // for F1 and accuracy at the threshold
};

struct BootstrapOptions {
  size_t resamples = 1000;
  uint64_t seed = 0;
  double confidence = 0.95;  // the interval runs from the (1 - c) / 2 to the (1 + c) / 2 quantile
};

struct BootstrapResult {
  std::vector<MetricIntervals> systems;      // in the order given
  // One per pair a < b, in the order (0,1), (0,2), ..., (1,2), ...: intervals of metric(a) - metric(b).
  std::vector<MetricIntervals> differences;
};

// Resamples whose metric is undefined (e.g. no positive drawn) are left out of that metric's
// interval, as numpy.nanpercentile would; an interval is nullopt when no resample defines it.
// Quantiles are numpy.percentile's default ("linear": between the two nearest order statistics).
BootstrapResult bootstrap_intervals(std::span<const BootstrapSystem> systems, const LabelColumn& labels,
                                    const BootstrapOptions& options);

// numpy.percentile(values, 100 * q) with the default method; values is sorted in place. nullopt
// for no values.
std::optional<double> percentile(std::vector<double>& values, double q);

}  // namespace simscore
