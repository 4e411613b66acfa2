#pragma once
// One evaluated system's metrics as `eval` shows them: the table on stdout (its layout unchanged
// since the first eval), the report's `metrics` object and the HTML page's metric rows, under
// simscore's names and, for a bi-encoder's cosines, sentence-transformers' evaluator names too.

#include <nlohmann/json.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/metrics/metrics.h"
#include "io/html_report.h"

namespace simscore::cli {

// One metric as the table, the report and the HTML page show it.
struct MetricLine {
  std::string name;
  std::optional<double> value;  // nullopt: undefined (printed so, null in the report)
  std::string st_name;          // sentence-transformers' name for the same number, or ""
  std::string meaning;
};

// The value column of the table as it has always been; longer names get one space.
inline constexpr int kNameWidth = 17;

struct SystemLines {
  std::vector<MetricLine> lines;
  nlohmann::json json;  // the report's `metrics` object of this system
  std::string text;     // the table as printed, its "pairs" line first
};

// `metrics` of `scores` against the raw `labels`; binary: the labels are (or are cut by
// positive_min into) two classes; cosine: the scores are a bi-encoder's cosines.
SystemLines system_lines(const Metrics& metrics, std::span<const double> scores, std::span<const double> labels,
                         bool binary, bool cosine, double positive_min);

std::vector<io::MetricRow> html_rows(const std::vector<MetricLine>& lines);

}  // namespace simscore::cli
