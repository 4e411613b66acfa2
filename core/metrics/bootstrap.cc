#include "core/metrics/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/metrics/resample.h"

namespace simscore {
namespace {

// numpy's _lerp: from the upper end when t >= 1/2, so the result stays within [a, b].
double lerp(double a, double b, double t) {
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

// The interval of one metric's per-resample values (NaN: undefined in that resample).
std::optional<Interval> interval(std::vector<double>& values, double confidence) {
  std::erase_if(values, [](double v) { return std::isnan(v); });
  const auto low = percentile(values, (1 - confidence) / 2);
  const auto high = percentile(values, (1 + confidence) / 2);
  if (!low || !high) return std::nullopt;
  return Interval{*low, *high};
}

constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();

}  // namespace

std::optional<double> percentile(std::vector<double>& values, double q) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const auto n = static_cast<double>(values.size());
  // numpy's _compute_virtual_index with alpha = beta = 1: n q + (1 + q (1 - 2)) - 1.
  const double virtual_index = n * q + (1 + q * (1 - 1 - 1)) - 1;
  const double below = std::floor(virtual_index);
  const auto at = [&](double index) {
    return values[static_cast<size_t>(std::clamp(index, 0.0, n - 1))];
  };
  return lerp(at(below), at(below + 1), virtual_index - below);
}

BootstrapResult bootstrap_intervals(std::span<const BootstrapSystem> systems, const LabelColumn& labels,
                                    const BootstrapOptions& options) {
  const size_t rows = labels.positive.size();
  std::vector<SortedColumn> sorted;
  sorted.reserve(systems.size());
  for (const BootstrapSystem& s : systems) {
    if (s.scores.size() != rows) throw std::invalid_argument("bootstrap_intervals: a system lacks rows");
    sorted.emplace_back(s.scores);
  }
  // values[(system * kResampledMetrics + metric) * resamples + b]
  const size_t stride = options.resamples;
  std::vector<double> values(systems.size() * kResampledMetrics * stride, kUndefined);
  SplitMix64 rng(options.seed);
  std::vector<uint32_t> counts(rows);
  for (size_t b = 0; b < options.resamples; ++b) {
    draw_counts(rng, counts);
    for (size_t s = 0; s < systems.size(); ++s) {
      const MetricValues m = weighted_metrics(sorted[s], labels, systems[s].threshold, counts);
      for (size_t k = 0; k < kResampledMetrics; ++k)
        if (m[k]) values[(s * kResampledMetrics + k) * stride + b] = *m[k];
    }
  }
  const auto column = [&](size_t s, size_t k) {
    return std::vector<double>(values.begin() + static_cast<std::ptrdiff_t>((s * kResampledMetrics + k) * stride),
                               values.begin() + static_cast<std::ptrdiff_t>((s * kResampledMetrics + k + 1) * stride));
  };
  BootstrapResult result;
  for (size_t s = 0; s < systems.size(); ++s) {
    MetricIntervals& out = result.systems.emplace_back();
    for (size_t k = 0; k < kResampledMetrics; ++k) {
      std::vector<double> v = column(s, k);
      out[k] = interval(v, options.confidence);
    }
  }
  for (size_t a = 0; a < systems.size(); ++a)
    for (size_t b = a + 1; b < systems.size(); ++b) {
      MetricIntervals& out = result.differences.emplace_back();
      for (size_t k = 0; k < kResampledMetrics; ++k) {
        std::vector<double> d = column(a, k);
        const std::vector<double> other = column(b, k);
        for (size_t i = 0; i < d.size(); ++i) d[i] -= other[i];  // NaN when either is undefined
        out[k] = interval(d, options.confidence);
      }
    }
  return result;
}

}  // namespace simscore
