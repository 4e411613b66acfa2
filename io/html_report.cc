#include "io/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "io/output_file.h"
#include "io/svg_chart.h"

namespace simscore::io {
namespace {

constexpr const char* kPalette[] = {"#2563eb", "#ea580c", "#16a34a", "#9333ea",
                                    "#db2777", "#0891b2", "#ca8a04", "#4b5563"};
constexpr const char* kChosenColor = "#7b8794";
constexpr const char* kBestColor = "#c81e1e";

// The bins cover [lowest, highest score] widened to multiples of 0.02, so that bin edges are round.
Chart histogram(const std::vector<ScoreGroup>& groups, const std::optional<EvalView>& eval) {
  double low = INFINITY, high = -INFINITY;
  size_t total = 0;
  for (const ScoreGroup& g : groups)
    for (double s : g.scores) {
      low = std::min(low, s);
      high = std::max(high, s);
      ++total;
    }
  Chart c{.title = eval ? "Scores by label" : "Scores", .x_label = "score", .y_label = "pairs"};
  c.legend = LegendCorner::top_left;  // cosine scores crowd the right
  if (total == 0) return c;
  low = std::floor(low * 50) / 50;
  high = std::max(std::ceil(high * 50) / 50, low + 0.02);
  const size_t bins = std::clamp<size_t>(static_cast<size_t>(std::sqrt(static_cast<double>(total))), 10, 50);
  const double width = (high - low) / static_cast<double>(bins);
  c.x_min = low;
  c.x_max = high;
  double most = 1;
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    std::vector<size_t> counts(bins);
    for (double s : groups[gi].scores)
      ++counts[std::min(bins - 1, static_cast<size_t>((s - low) / width))];
    ChartSeries series{.label = fmt::format("{} ({})", groups[gi].label, groups[gi].scores.size()),
                       .color = kPalette[gi % std::size(kPalette)], .filled = true};
    for (size_t b = 0; b < bins; ++b) {
      const auto count = static_cast<double>(counts[b]);
      series.points.emplace_back(low + width * static_cast<double>(b), count);
      series.points.emplace_back(low + width * static_cast<double>(b + 1), count);
      most = std::max(most, count);
    }
    c.series.push_back(std::move(series));
  }
  c.y_max = most * 1.25;  // room for the legend
  if (eval && !eval->systems.empty() && !eval->systems[0].curve.empty()) {
    const CurveView& first = eval->systems[0];
    c.markers.push_back({fmt::format("threshold {}", tick_label(first.threshold)), kChosenColor, first.threshold});
    c.markers.push_back({fmt::format("best F1 at {:.4f}", first.best_threshold), kBestColor, first.best_threshold});
  }
  return c;
}

// The curve point a threshold selects: the lowest distinct score at or above it.
const CurvePoint* point_at(const std::vector<CurvePoint>& curve, double threshold) {
  const CurvePoint* found = nullptr;
  for (const CurvePoint& p : curve)
    if (p.threshold >= threshold) found = &p;
  return found;
}

// One system alone: its curves with the threshold and the best-F1 threshold marked. Several: each
// system's curves in its own colour with a legend, and a dot where its threshold puts it.
std::vector<Chart> curve_charts(const EvalView& e) {
  const bool alone = e.systems.size() == 1;
  Chart f1{.title = "F1 against the threshold", .x_label = "threshold (score >= threshold is similar)",
           .y_label = "F1"};
  f1.x_min = INFINITY;
  f1.x_max = -INFINITY;
  for (const CurveView& s : e.systems) {
    if (s.curve.empty()) continue;
    f1.x_min = std::min({f1.x_min, s.curve.back().threshold, s.threshold});
    f1.x_max = std::max({f1.x_max, s.curve.front().threshold, s.threshold});
  }
  if (f1.x_max <= f1.x_min) f1.x_max = f1.x_min + 0.01;
  f1.y_max = 1.15;
  Chart pr{.title = "Precision against recall", .x_label = "recall", .y_label = "precision"};
  pr.y_max = 1.15;
  Chart roc{.title = "ROC curve", .x_label = "false positive rate", .y_label = "true positive rate"};
  roc.y_max = 1.15;
  roc.legend = LegendCorner::bottom_right;  // a useful model's curve stays above the diagonal
  roc.series.push_back({.label = "chance", .color = "#9aa5b1", .points = {{0, 0}, {1, 1}}, .dashed = true});

  for (size_t i = 0; i < e.systems.size(); ++i) {
    const CurveView& s = e.systems[i];
    if (s.curve.empty()) continue;
    const std::string color = kPalette[i % std::size(kPalette)];
    const std::string label = alone ? "" : s.name;
    ChartSeries f1_series{.label = label, .color = color};
    for (auto it = s.curve.rbegin(); it != s.curve.rend(); ++it)
      f1_series.points.emplace_back(it->threshold, rates(it->confusion).f1);
    f1.series.push_back(std::move(f1_series));
    ChartSeries pr_series{.label = label, .color = color};
    pr_series.points.emplace_back(0, rates(s.curve.front().confusion).precision);
    ChartSeries roc_series{.label = label, .color = color, .points = {{0, 0}}};
    for (const CurvePoint& p : s.curve) {
      const Rates r = rates(p.confusion);
      pr_series.points.emplace_back(r.recall, r.precision);
      roc_series.points.emplace_back(r.false_positive_rate, r.recall);
    }
    pr.series.push_back(std::move(pr_series));
    roc.series.push_back(std::move(roc_series));

    // Several systems: the dot in the system's colour needs no legend entry of its own.
    const std::string chosen_label = alone ? fmt::format("threshold {}", tick_label(s.threshold)) : "";
    const std::string best_label = fmt::format("best F1 at {:.4f}", s.best_threshold);
    std::vector<std::tuple<const CurvePoint*, std::string, std::string>> dots{
        {point_at(s.curve, s.threshold), chosen_label, alone ? kChosenColor : color}};
    if (alone) {
      f1.markers.push_back({chosen_label, kChosenColor, s.threshold});
      f1.markers.push_back({best_label, kBestColor, s.best_threshold});
      dots.emplace_back(point_at(s.curve, s.best_threshold), best_label, kBestColor);
    }
    for (const auto& [point, dot_label, dot_color] : dots) {
      if (!point) continue;
      const Rates r = rates(point->confusion);
      pr.dots.push_back({dot_label, dot_color, r.recall, r.precision});
      roc.dots.push_back({dot_label, dot_color, r.false_positive_rate, r.recall});
      if (!alone) f1.dots.push_back({dot_label, dot_color, s.threshold, r.f1});
    }
  }
  return {f1, pr, roc};
}

std::string facts_table(const RunReport& r) {
  constexpr double kMiB = 1024.0 * 1024.0;
  const std::pair<std::string, std::string> rows[] = {
      {"model", fmt::format("{} ({})", r.model.name, r.model.path)},
      {"architecture", fmt::format("{}, {} layers, hidden size {}, {:.1f} M parameters, {} mode",
                                   r.model.architecture, r.model.layers, r.model.hidden_size,
                                   static_cast<double>(r.model.parameters) / 1e6, r.mode)},
      {"precision", fmt::format("{} weights; {}", r.precision, r.cpu.gemm_kernel)},
      {"prompts", r.prompts.a.empty() && r.prompts.b.empty()
                      ? std::string("none")
                      : fmt::format("a \"{}\", b \"{}\" ({})", r.prompts.a, r.prompts.b, r.prompts.source)},
      {"input", fmt::format("{}: {} rows, {} failed", r.input, r.rows, r.rows_failed)},
      {"speed", fmt::format("{:.1f} pairs/s, {:.0f} tokens/s, {:.1f} GFLOP/s; {:.2f} s on {} threads",
                            r.throughput.pairs_per_second, r.throughput.tokens_per_second,
                            r.throughput.gflops, r.throughput.seconds, r.cpu.threads)},
      {"peak memory", fmt::format("{:.1f} MiB resident (weights {:.1f} MiB, activation arena {:.1f} MiB)",
                                  r.memory.peak_rss_bytes / kMiB, r.memory.weights_bytes / kMiB,
                                  r.memory.arena_bytes / kMiB)},
  };
  std::string s = "<table class=\"facts\">\n";
  for (const auto& [name, value] : rows)
    s += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", xml_escape(name), xml_escape(value));
  return s + "</table>\n";
}

std::string metrics_table(const std::vector<MetricRow>& rows) {
  std::string s =
      "<table class=\"metrics\">\n<thead><tr><th>metric</th><th class=\"num\">value</th>"
      "<th>sentence-transformers</th><th>meaning</th></tr></thead>\n<tbody>\n";
  for (const MetricRow& m : rows)
    s += fmt::format("<tr><td><code>{}</code></td><td class=\"num\">{}</td><td><code>{}</code></td><td>{}</td></tr>\n",
                     xml_escape(m.name), xml_escape(m.value), xml_escape(m.st_name), xml_escape(m.meaning));
  return s + "</tbody>\n</table>\n";
}

std::string cell_table(const HtmlTable& t) {
  std::string s = "<div class=\"wide\"><table class=\"metrics\">\n<thead><tr>";
  for (size_t i = 0; i < t.header.size(); ++i)
    s += fmt::format("<th{}>{}</th>", i < t.name_columns ? "" : " class=\"num\"", xml_escape(t.header[i]));
  s += "</tr></thead>\n<tbody>\n";
  for (const auto& row : t.rows) {
    s += "<tr>";
    for (size_t i = 0; i < row.size(); ++i) {
      // "value [low, high]": the interval on a line of its own keeps the columns narrow.
      const size_t bracket = row[i].find(" [");
      const std::string text = bracket == std::string::npos
                                   ? xml_escape(row[i])
                                   : xml_escape(row[i].substr(0, bracket)) + "<br><span class=\"interval\">" +
                                         xml_escape(row[i].substr(bracket + 1)) + "</span>";
      s += fmt::format("<td{}>{}</td>", i < t.name_columns ? " class=\"name\"" : " class=\"num\"", text);
    }
    s += "</tr>\n";
  }
  return s + "</tbody>\n</table></div>\n";
}

constexpr const char* kStyle = R"(
body { margin: 0; background: #f5f7fa; color: #1f2933;
       font: 14px/1.45 "DejaVu Sans", Helvetica, Arial, sans-serif; }
header { background: #1f2933; color: #f5f7fa; padding: 18px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header p { margin: 0; color: #cbd2d9; }
main { padding: 20px 32px 40px; max-width: 1180px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 16px; }
.card { background: #ffffff; border: 1px solid #e4e7eb; border-radius: 6px; padding: 12px 14px; }
.card svg { width: 100%; height: auto; display: block; }
h2 { font-size: 16px; margin: 26px 0 10px; }
table { border-collapse: collapse; background: #ffffff; border: 1px solid #e4e7eb; width: 100%; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
thead th { background: #f0f4f8; }
.facts th { width: 140px; color: #52606d; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 12.5px; }
.note { color: #52606d; }
td.name { white-space: nowrap; }
.wide { overflow-x: auto; }
.interval { color: #52606d; font-size: 12px; }
.warning { background: #fff4e5; border: 1px solid #f0b429; border-radius: 6px; padding: 8px 12px; margin: 12px 0; }
)";

}  // namespace

std::string render_html(const HtmlPage& page, const RunReport& run) {
  std::string s = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n"
      "<style>{}</style>\n</head>\n<body>\n<header><h1>{}</h1><p>{} &middot; {} &middot; {} rows</p></header>\n<main>\n",
      xml_escape(page.title), kStyle, xml_escape(page.title), xml_escape(run.model.name), xml_escape(run.precision), run.rows);
  for (const std::string& warning : run.warnings)
    s += "<p class=\"warning\">Warning: " + xml_escape(warning) + "</p>\n";
  s += "<div class=\"grid\">\n";
  s += "<div class=\"card\">\n" + render_svg(histogram(page.groups, page.eval)) + "</div>\n";
  if (page.eval && !page.eval->systems.empty() && !page.eval->systems[0].curve.empty())
    for (const Chart& chart : curve_charts(*page.eval)) s += "<div class=\"card\">\n" + render_svg(chart) + "</div>\n";
  s += "</div>\n";
  if (page.eval && page.eval->systems.size() > 1)
    s += "<p class=\"note\">Each system's curves in its colour; a dot marks where its decision threshold puts it.</p>\n";
  if (page.eval) {
    for (const HtmlTable& table : page.eval->tables)
      s += "<h2>" + xml_escape(table.title) + "</h2>\n" + cell_table(table);
    if (!page.eval->tables_note.empty()) s += "<p class=\"note\">" + xml_escape(page.eval->tables_note) + "</p>\n";
    s += "<h2>Metrics" + (page.eval->systems.size() > 1 ? " of " + xml_escape(page.eval->systems[0].name) : "") +
         "</h2>\n" + metrics_table(page.eval->metrics);
    s += "<p class=\"note\">Thresholds: a pair is predicted similar when its score is at or above the "
         "threshold. The best thresholds are chosen on these same labels, so their figures are optimistic; "
         "sentence-transformers' thresholds lie halfway between neighbouring scores.</p>\n";
  }
  s += "<h2>Run</h2>\n" + facts_table(run);
  s += "</main>\n</body>\n</html>\n";
  return s;
}

void write_html(const std::string& path, const HtmlPage& page, const RunReport& run) {
  OutputFile out(path);
  out.write(render_html(page, run));
  out.commit();
}

}  // namespace simscore::io
