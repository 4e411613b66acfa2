// simscore eval: score a labelled pair file and report the metrics a careful researcher would,
// computed exactly as scikit-learn and scipy compute them.

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <memory>

#include "cli/commands.h"
#include "cli/console.h"
#include "cli/exit_codes.h"
#include "cli/output_guard.h"
#include "core/errors.h"
#include "core/metrics/metrics.h"

namespace simscore::cli {
namespace {

struct EvalOptions {
  InputOptions input;
  ModelOptions model;
  RunOptions run;
  OutputOptions output{.path = ""};
  std::optional<double> threshold;
  std::optional<double> positive_min;
};

std::optional<double> parse_label(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

nlohmann::json metrics_json(const Metrics& m, double positive_min) {
  auto optional = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  const auto& t = m.at_threshold;
  return {{"count", m.count},
          {"positives", m.positives},
          {"negatives", m.negatives},
          {"positive_min", positive_min},
          {"threshold", t.threshold},
          {"accuracy", t.accuracy},
          {"precision", t.precision},
          {"recall", t.recall},
          {"f1", t.f1},
          {"confusion_matrix",
           {{"true_positive", t.confusion.true_positive},
            {"false_positive", t.confusion.false_positive},
            {"true_negative", t.confusion.true_negative},
            {"false_negative", t.confusion.false_negative}}},
          {"best_threshold", m.best_threshold},
          {"best_f1", m.best_f1},
          {"roc_auc", optional(m.roc_auc)},
          {"pearson", optional(m.pearson)},
          {"spearman", optional(m.spearman)}};
}

std::string metrics_table(const Metrics& m, double positive_min) {
  auto optional = [](const std::optional<double>& v) { return v ? fmt::format("{:.6f}", *v) : std::string("undefined"); };
  const auto& t = m.at_threshold;
  const auto& c = t.confusion;
  std::string s;
  s += fmt::format("pairs            {} ({} positive, {} negative; positive = label >= {})\n", m.count,
                   m.positives, m.negatives, positive_min);
  s += fmt::format("threshold        {:.6f}\n", t.threshold);
  s += fmt::format("accuracy         {:.6f}\n", t.accuracy);
  s += fmt::format("precision        {:.6f}\n", t.precision);
  s += fmt::format("recall           {:.6f}\n", t.recall);
  s += fmt::format("f1               {:.6f}\n", t.f1);
  s += fmt::format("confusion        tp {}  fp {}  tn {}  fn {}\n", c.true_positive, c.false_positive,
                   c.true_negative, c.false_negative);
  s += fmt::format("best_threshold   {:.6f}\n", m.best_threshold);
  s += fmt::format("best_f1          {:.6f}\n", m.best_f1);
  s += fmt::format("roc_auc          {}\n", optional(m.roc_auc));
  s += fmt::format("pearson          {}\n", optional(m.pearson));
  s += fmt::format("spearman         {}\n", optional(m.spearman));
  return s;
}

int run_eval(EvalOptions o) {
  if (!o.input.columns.label) o.input.columns.label = "";  // the default: "label" by name, else 3
  check_outputs(o.input, o.output.path, o.run.report);
  ScoringSession session(o.model, o.run);
  io::PairReader reader = open_pairs(o.input, o.run.quiet);

  std::vector<double> scores, labels;
  bool graded = false;
  const auto collect = [&](std::span<const io::PairRow> rows, std::span<const std::optional<float>> window) {
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!window[i]) continue;
      const double label = *parse_label(*rows[i].label);
      if (label != 0 && label != 1 && !o.positive_min && !graded)
        throw InputError(reader.display_name(), rows[i].line,
                         fmt::format("label {} is graded, not 0/1: say which labels count as similar "
                                     "with --positive-min (e.g. 4 for STS-B's 0-5 scale)",
                                     *rows[i].label));
      graded = graded || (label != 0 && label != 1);
      scores.push_back(*window[i]);
      labels.push_back(label);
    }
  };
  // Labels are checked with the row, so a bad one is reported (or skipped) with its line.
  const auto label_problem = [](const io::PairRow& row) -> std::string {
    if (!row.label) return "the label column is missing";
    if (!parse_label(*row.label)) return fmt::format("label \"{}\" is not a number", *row.label);
    return "";
  };

  std::optional<PairRunCounts> counts;
  if (o.output.path.empty()) {
    PairRunOptions run = session.pair_run_options();
    run.skip_bad_rows = o.input.on_error == "skip";
    run.shard = o.input.shard;
    run.extra_check = label_problem;
    try {
      counts = run_pairs(reader, session.scorer(), run, collect);
    } catch (const Interrupted&) {
      print_error("simscore: interrupted before the metrics could be computed\n");
      return kInterrupted;
    }
  } else {
    if (o.output.resume)
      throw CLI::ValidationError("--resume", "is for `score`: eval needs every score to compute its metrics");
    counts = write_scores(reader, session, o.input, o.output, o.run.quiet, collect, label_problem);
    if (!counts) return kInterrupted;
  }

  const double positive_min = o.positive_min.value_or(1.0);
  const double threshold = o.threshold.value_or(0.5);
  const Metrics metrics = compute_metrics(scores, labels, threshold, positive_min);
  fmt::print("{}", metrics_table(metrics, positive_min));
  io::RunReport report = session.report("eval", reader.display_name(), *counts);
  report.metrics = metrics_json(metrics, positive_min);
  session.publish(report);
  return kSuccess;
}

}  // namespace

Run add_eval_command(CLI::App& app) {
  // CLI11 reads "nan" and "inf" as numbers; no threshold compares sensibly with them.
  const CLI::Validator finite_number(
      [](std::string& text) -> std::string {
        return parse_label(text) ? "" : "expected a finite number, got \"" + text + "\"";
      },
      "NUMBER");
  auto options = std::make_shared<EvalOptions>();
  CLI::App* command = app.add_subcommand(
      "eval", "Score a labelled pair file and print F1, precision, recall, ROC-AUC, Pearson, Spearman");
  add_input_options(*command, options->input);
  command->add_option("--label", options->input.columns.label, "Column of the label (default: label when the header or JSON object has one, else 3)");
  add_model_options(*command, options->model);
  add_run_options(*command, options->run);
  add_output_options(*command, options->output, "Also write the per-row scores here");
  command->add_option("--threshold", options->threshold,
                      "Decision threshold: score >= threshold is predicted similar (default 0.5; see "
                      "README for cosine scores)")
      ->check(finite_number);
  command->add_option("--positive-min", options->positive_min,
                      "Labels >= this count as similar (default 1 for 0/1 labels; required for "
                      "graded labels such as STS-B's 0-5)")
      ->check(finite_number);
  return [command, options] { return command->parsed() ? run_eval(*options) : -1; };
}

}  // namespace simscore::cli
