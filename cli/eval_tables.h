#pragma once
// How `eval` shows a comparison of systems: the system x metric table with intervals and the
// pairwise differences, as aligned text (stdout), as TSV (--table tsv), as cells for the HTML
// page, and as the report's `systems` intervals and `comparisons`. One set of cells feeds the text
// and the page, so they cannot disagree.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/metrics/comparison.h"
#include "io/html_report.h"

namespace simscore::cli {

// The columns: every resampled metric for binary labels, Spearman alone for graded ones.
std::vector<ResampledMetric> shown_metrics(bool binary);

// Two tables: "systems" (one row per system) and "differences" (one row per pair, with the McNemar
// p-value for binary labels). Values with 4 decimals, intervals in brackets.
std::vector<io::HtmlTable> comparison_tables(const std::vector<std::string>& names, const Comparison& c,
                                             bool binary);
// The tables as aligned text, a blank line before each.
std::string tables_text(const std::vector<io::HtmlTable>& tables);
// One header line, then one line per system and metric ("system") and per pair and metric
// ("difference"): table a b metric value low high mcnemar_p, numbers in their shortest exact form,
// an empty field where there is none.
std::string comparison_tsv(const std::vector<std::string>& names, const Comparison& c, bool binary);

// metric name -> [low, high] (null where undefined or without resamples).
nlohmann::json intervals_json(const MetricIntervals& intervals, bool binary);
// The report's `comparisons`: each {a, b, differences: metric -> {value, low, high}, mcnemar_p,
// mcnemar: {only_a_correct, only_b_correct}}.
nlohmann::json comparisons_json(const std::vector<std::string>& names, const Comparison& c, bool binary);

}  // namespace simscore::cli
