#pragma once
// `--html FILE`: one self-contained HTML page (inline SVG and CSS; no script, no network) that shows
// a run: the score histogram per label group, the run's warnings and facts for `score`, and for
// `eval` also the precision-recall curve, the ROC curve, F1 against the threshold (every system's,
// overlaid) and the metrics and interval tables.

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

// A table of preformatted cells (the comparison of systems), shown as text on stdout too.
struct HtmlTable {
  std::string title{};
  std::vector<std::string> header{};
  std::vector<std::vector<std::string>> rows{};
  size_t name_columns = 1;  // the leading columns that name a row (left-aligned text)
};

// One system's curves: the first is the run's own; with several, each gets a colour and a legend
// entry and all are drawn over each other.
struct CurveView {
  std::string name;
  std::vector<CurvePoint> curve;  // empty for graded labels without --positive-min
  double threshold = 0;           // its decision threshold
  double best_threshold = 0;      // best F1's
};

struct EvalView {
  std::vector<CurveView> systems;
  std::vector<MetricRow> metrics;  // the first system's
  std::vector<HtmlTable> tables;   // intervals and differences
  std::string tables_note;         // how the intervals were computed
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
