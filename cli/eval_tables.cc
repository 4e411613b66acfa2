#include "cli/eval_tables.h"

#include <fmt/format.h>

#include <algorithm>

namespace simscore::cli {
namespace {

nlohmann::json number(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

std::string cell(const std::optional<double>& value, const std::optional<Interval>& interval, bool signed_) {
  if (!value) return "undefined";
  const auto f = [&](double v) { return signed_ ? fmt::format("{:+.4f}", v) : fmt::format("{:.4f}", v); };
  std::string s = f(*value);
  if (interval) s += fmt::format(" [{}, {}]", f(interval->low), f(interval->high));
  return s;
}

std::string p_value(double p) { return p < 1e-4 ? fmt::format("{:.1e}", p) : fmt::format("{:.4f}", p); }

std::string tsv_number(const std::optional<double>& v) { return v ? fmt::format("{}", *v) : ""; }

}  // namespace

std::vector<ResampledMetric> shown_metrics(bool binary) {
  if (!binary) return {ResampledMetric::spearman};
  return {kAllResampledMetrics.begin(), kAllResampledMetrics.end()};
}

std::vector<io::HtmlTable> comparison_tables(const std::vector<std::string>& names, const Comparison& c,
                                             bool binary) {
  const std::vector<ResampledMetric> metrics = shown_metrics(binary);
  io::HtmlTable systems{.title = "systems", .header = {"system"}};
  io::HtmlTable differences{.title = "differences (a - b)", .header = {"a", "b"}, .name_columns = 2};
  for (ResampledMetric m : metrics) {
    systems.header.emplace_back(metric_name(m));
    differences.header.emplace_back(metric_name(m));
  }
  if (binary) differences.header.emplace_back("mcnemar_p");
  for (size_t s = 0; s < c.systems.size(); ++s) {
    std::vector<std::string>& row = systems.rows.emplace_back(1, names[s]);
    for (ResampledMetric m : metrics) {
      const auto k = static_cast<size_t>(m);
      row.push_back(cell(c.systems[s].values[k], c.systems[s].intervals[k], false));
    }
  }
  for (const PairEvaluation& p : c.pairs) {
    std::vector<std::string>& row = differences.rows.emplace_back(std::vector{names[p.a], names[p.b]});
    for (ResampledMetric m : metrics) {
      const auto k = static_cast<size_t>(m);
      row.push_back(cell(p.difference[k], p.intervals[k], true));
    }
    if (p.mcnemar) row.push_back(p_value(p.mcnemar->p_value));
  }
  std::vector<io::HtmlTable> tables{std::move(systems)};
  if (!c.pairs.empty()) tables.push_back(std::move(differences));
  return tables;
}

std::string tables_text(const std::vector<io::HtmlTable>& tables) {
  std::string s;
  for (const io::HtmlTable& t : tables) {
    std::vector<size_t> width(t.header.size());
    for (size_t i = 0; i < t.header.size(); ++i) width[i] = t.header[i].size();
    for (const auto& row : t.rows)
      for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    const auto line = [&](const std::vector<std::string>& cells) {
      std::string l;
      for (size_t i = 0; i < cells.size(); ++i)
        l += i + 1 == cells.size() ? cells[i] : fmt::format("{:<{}}  ", cells[i], width[i]);
      return l + "\n";
    };
    s += "\n" + t.title + ":\n" + line(t.header);
    for (const auto& row : t.rows) s += line(row);
  }
  return s;
}

std::string comparison_tsv(const std::vector<std::string>& names, const Comparison& c, bool binary) {
  std::string s = "table\ta\tb\tmetric\tvalue\tlow\thigh\tmcnemar_p\n";
  const auto low = [](const std::optional<Interval>& i) { return i ? tsv_number(i->low) : ""; };
  const auto high = [](const std::optional<Interval>& i) { return i ? tsv_number(i->high) : ""; };
  for (size_t sys = 0; sys < c.systems.size(); ++sys)
    for (ResampledMetric m : shown_metrics(binary)) {
      const auto k = static_cast<size_t>(m);
      s += fmt::format("system\t{}\t\t{}\t{}\t{}\t{}\t\n", names[sys], metric_name(m),
                       tsv_number(c.systems[sys].values[k]), low(c.systems[sys].intervals[k]),
                       high(c.systems[sys].intervals[k]));
    }
  for (const PairEvaluation& p : c.pairs)
    for (ResampledMetric m : shown_metrics(binary)) {
      const auto k = static_cast<size_t>(m);
      s += fmt::format("difference\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", names[p.a], names[p.b], metric_name(m),
                       tsv_number(p.difference[k]), low(p.intervals[k]), high(p.intervals[k]),
                       p.mcnemar ? fmt::format("{}", p.mcnemar->p_value) : "");
    }
  return s;
}

nlohmann::json intervals_json(const MetricIntervals& intervals, bool binary) {
  nlohmann::json out = nlohmann::json::object();
  for (ResampledMetric m : shown_metrics(binary)) {
    const auto& i = intervals[static_cast<size_t>(m)];
    out[std::string(metric_name(m))] = i ? nlohmann::json::array({i->low, i->high}) : nlohmann::json(nullptr);
  }
  return out;
}

nlohmann::json comparisons_json(const std::vector<std::string>& names, const Comparison& c, bool binary) {
  nlohmann::json out = nlohmann::json::array();
  for (const PairEvaluation& p : c.pairs) {
    nlohmann::json differences = nlohmann::json::object();
    for (ResampledMetric m : shown_metrics(binary)) {
      const auto k = static_cast<size_t>(m);
      const auto& i = p.intervals[k];
      differences[std::string(metric_name(m))] = {{"value", number(p.difference[k])},
                                                  {"low", i ? nlohmann::json(i->low) : nlohmann::json(nullptr)},
                                                  {"high", i ? nlohmann::json(i->high) : nlohmann::json(nullptr)}};
    }
    nlohmann::json pair = {{"a", names[p.a]}, {"b", names[p.b]}, {"differences", differences}};
    pair["mcnemar_p"] = p.mcnemar ? nlohmann::json(p.mcnemar->p_value) : nlohmann::json(nullptr);
    if (p.mcnemar)
      pair["mcnemar"] = {{"only_a_correct", p.mcnemar->only_a_correct},
                         {"only_b_correct", p.mcnemar->only_b_correct}};
    out.push_back(std::move(pair));
  }
  return out;
}

}  // namespace simscore::cli
