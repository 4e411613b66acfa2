#pragma once
// `--html FILE`: one self-contained HTML page (inline SVG and CSS; no script, no network) that shows
// a run: the score histogram per label group and the run's facts for `score`, and for `eval` also
// the precision-recall curve, the ROC curve, F1 against the threshold and the metrics table.

#include <optional>
#include <string>
#include <vector>

#include "core/metrics/metrics.h"
#include "io/run_report.h"

namespace simscore::io {

// The scores of one label group ("similar (label >= 1)", "label 3 to 4", or all scores).
struct ScoreGroup {
  std::string label;
  std::vector<double> scores;
};

struct MetricRow {
  std::string name;         // simscore's name in the report
  std::string value;        // as printed
  std::string st_name;      // sentence-transformers' name, or ""
  std::string meaning;
};

struct EvalView {
  std::vector<CurvePoint> curve;  // empty for graded labels without --positive-min
  double threshold = 0;           // --threshold
  double best_threshold = 0;      // best F1's
  std::vector<MetricRow> metrics;
};

struct HtmlPage {
  std::string title;
  std::vector<ScoreGroup> groups;
  std::optional<EvalView> eval;
};

std::string render_html(const HtmlPage& page, const RunReport& run);
// Written atomically, as the other outputs (temporary file, then rename).
void write_html(const std::string& path, const HtmlPage& page, const RunReport& run);

}  // namespace simscore::io
