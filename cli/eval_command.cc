// simscore eval: score a labelled pair file and report the metrics a careful researcher would,
// computed exactly as scikit-learn and scipy compute them.

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <map>
#include <memory>

#include "cli/commands.h"
#include "cli/console.h"
#include "cli/exit_codes.h"
#include "cli/run_files.h"
#include "cli/run_identity.h"
#include "core/errors.h"
#include "core/metrics/metrics.h"
#include "core/metrics/sentence_transformers_metrics.h"
#include "io/html_report.h"
#include "io/threshold_curve_file.h"

namespace simscore::cli {
namespace {

struct EvalOptions {
  InputOptions input;
  ModelOptions model;
  RunOptions run;
  OutputOptions output{.path = ""};
  std::optional<double> threshold;
  std::optional<double> positive_min;
  std::string curve;  // --curve FILE
  std::string html;   // --html FILE
  RunFiles files;
};

std::optional<double> parse_label(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

// One metric as the table, the report and the HTML page show it.
struct MetricLine {
  std::string name;
  std::optional<double> value;  // nullopt: undefined (printed so, null in the report)
  std::string st_name;          // sentence-transformers' name for the same number, or ""
  std::string meaning;
};

std::string six(const std::optional<double>& v) { return v ? fmt::format("{:.6f}", *v) : "undefined"; }

std::vector<MetricLine> binary_lines(const Metrics& m) {
  const auto& t = m.at_threshold;
  return {
      {"threshold", t.threshold, "", "--threshold: score >= threshold predicts similar"},
      {"accuracy", t.accuracy, "", "at --threshold (sklearn accuracy_score)"},
      {"precision", t.precision, "", "at --threshold (sklearn precision_score)"},
      {"recall", t.recall, "", "at --threshold (sklearn recall_score)"},
      {"f1", t.f1, "", "at --threshold (sklearn f1_score)"},
      {"mcc", t.mcc, "", "at --threshold (sklearn matthews_corrcoef)"},
      {"best_threshold", m.best_threshold, "", "the distinct score whose threshold maximises F1"},
      {"best_f1", m.best_f1, "", "F1 at best_threshold"},
      {"best_accuracy_threshold", m.best_accuracy_threshold, "",
       "the distinct score whose threshold maximises accuracy"},
      {"best_accuracy", m.best_accuracy, "cosine_accuracy", "accuracy at best_accuracy_threshold"},
      {"average_precision", m.average_precision, "cosine_ap",
       "area under the precision-recall steps (sklearn average_precision_score)"},
      {"roc_auc", m.roc_auc, "", "sklearn roc_auc_score: P(a positive outscores a negative)"},
      {"pearson", m.pearson, "pearson_cosine", "of scores against the raw labels (scipy pearsonr)"},
      {"spearman", m.spearman, "spearman_cosine", "of scores against the raw labels (scipy spearmanr)"},
  };
}

// sentence-transformers' BinaryClassificationEvaluator and EmbeddingSimilarityEvaluator names, for
// a bi-encoder's cosine scores.
std::vector<MetricLine> evaluator_lines(const BinaryClassificationEvaluatorMetrics& st, const Metrics& m) {
  const std::string halfway = "; thresholds lie halfway between neighbouring scores";
  return {
      {"cosine_accuracy", st.accuracy, "cosine_accuracy", "best accuracy over all thresholds"},
      {"cosine_accuracy_threshold", st.accuracy_threshold, "cosine_accuracy_threshold", "its threshold" + halfway},
      {"cosine_f1", st.f1, "cosine_f1", "best F1 over all thresholds"},
      {"cosine_precision", st.precision, "cosine_precision", "precision at cosine_f1_threshold"},
      {"cosine_recall", st.recall, "cosine_recall", "recall at cosine_f1_threshold"},
      {"cosine_f1_threshold", st.f1_threshold, "cosine_f1_threshold", "its threshold" + halfway},
      {"cosine_ap", st.ap, "cosine_ap", "average precision (the evaluator's primary metric)"},
      {"cosine_mcc", st.mcc, "cosine_mcc", "Matthews correlation at cosine_f1_threshold"},
      {"pearson_cosine", m.pearson, "pearson_cosine", "EmbeddingSimilarityEvaluator: Pearson"},
      {"spearman_cosine", m.spearman, "spearman_cosine", "EmbeddingSimilarityEvaluator: Spearman"},
  };
}

std::vector<MetricLine> correlation_lines(const Metrics& m) {
  return {{"pearson", m.pearson, "pearson_cosine", "of scores against the raw labels (scipy pearsonr)"},
          {"spearman", m.spearman, "spearman_cosine", "of scores against the raw labels (scipy spearmanr)"}};
}

void add_lines(nlohmann::json& json, const std::vector<MetricLine>& lines) {
  for (const MetricLine& line : lines)
    json[line.name] = line.value ? nlohmann::json(*line.value) : nlohmann::json(nullptr);
}

// The value column of the table as it has always been; longer names get one space.
constexpr int kNameWidth = 17;

std::string table(const std::vector<MetricLine>& lines) {
  std::string s;
  for (const MetricLine& line : lines)
    s += fmt::format("{:<{}} {}\n", line.name, kNameWidth - 1, six(line.value));
  return s;
}

std::vector<io::MetricRow> html_rows(const std::vector<MetricLine>& lines) {
  std::vector<io::MetricRow> rows;
  for (const MetricLine& line : lines) rows.push_back({line.name, six(line.value), line.st_name, line.meaning});
  return rows;
}

// The histogram's groups: similar and not similar for binary decisions, else one per unit of the
// label scale (STS-B's 0-1, 1-2, ...), or a single group when that gives too many.
std::vector<io::ScoreGroup> label_groups(const std::vector<double>& scores, const std::vector<double>& labels,
                                         std::optional<double> positive_min, bool graded) {
  if (!graded || positive_min) {
    const double p = positive_min.value_or(1.0);
    io::ScoreGroup yes{graded ? fmt::format("similar (label >= {})", p) : "similar (label 1)", {}};
    io::ScoreGroup no{graded ? fmt::format("not similar (label < {})", p) : "not similar (label 0)", {}};
    for (size_t i = 0; i < scores.size(); ++i) (labels[i] >= p ? yes : no).scores.push_back(scores[i]);
    return {yes, no};
  }
  std::map<double, io::ScoreGroup> by_unit;
  for (size_t i = 0; i < scores.size(); ++i) {
    const double unit = std::floor(labels[i]);
    auto& group = by_unit[unit];
    if (group.label.empty()) group.label = fmt::format("label {} to {}", unit, unit + 1);
    group.scores.push_back(scores[i]);
  }
  if (by_unit.size() > 8) return {{"all pairs", scores}};
  std::vector<io::ScoreGroup> groups;
  for (auto it = by_unit.rbegin(); it != by_unit.rend(); ++it) groups.push_back(std::move(it->second));
  return groups;
}

int run_eval(EvalOptions o) {
  if (!o.input.columns.label) o.input.columns.label = "";  // the default: "label" by name, else 3
  o.files.check();
  if (o.output.resume)
    throw CLI::ValidationError("--resume", "is for `score`: eval needs every score to compute its metrics");
  ScoringSession session(o.model, o.run);
  io::PairReader reader = open_pairs(o.input, o.run.quiet);

  std::vector<double> scores, labels;
  bool graded = false;
  const auto collect = [&](std::span<const io::PairRow> rows, std::span<const std::optional<float>> window) {
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!window[i]) continue;
      const double label = *parse_label(*rows[i].label);
      graded = graded || (label != 0 && label != 1);
      scores.push_back(*window[i]);
      labels.push_back(label);
    }
  };
  // Labels are checked with the row, so a bad one is reported (or skipped) with its line.
  const auto label_problem = [](const io::PairRow& row) -> io::RowProblem {
    if (!row.label) return {io::RowFailure::bad_label, "the label column is missing"};
    if (!parse_label(*row.label)) return {io::RowFailure::bad_label, fmt::format("label \"{}\" is not a number", *row.label)};
    return {};
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
    counts = write_scores(reader, session, o.input, o.output, o.run.quiet, collect, label_problem, false);
    if (!counts) return kInterrupted;
  }

  const bool binary = !graded || o.positive_min;
  if (!o.curve.empty() && !binary)
    throw CLI::ValidationError("--curve", "needs binary decisions: the labels are graded, say which count "
                                          "as similar with --positive-min");
  const double positive_min = o.positive_min.value_or(1.0);
  const double threshold = o.threshold.value_or(0.5);
  const Metrics metrics = compute_metrics(scores, labels, threshold, positive_min);
  const bool cosine = session.model().scoring.mode == ScoringMode::bi;
  nlohmann::json json = {{"count", metrics.count}};
  std::vector<MetricLine> lines;
  if (binary) {
    const auto& c = metrics.at_threshold.confusion;
    json["positives"] = metrics.positives;
    json["negatives"] = metrics.negatives;
    json["positive_min"] = positive_min;
    json["confusion_matrix"] = {{"true_positive", c.true_positive},
                                {"false_positive", c.false_positive},
                                {"true_negative", c.true_negative},
                                {"false_negative", c.false_negative}};
    lines = binary_lines(metrics);
    add_lines(json, lines);
    fmt::print("{:<{}}{} ({} positive, {} negative; positive = label >= {})\n", "pairs", kNameWidth,
               metrics.count, metrics.positives, metrics.negatives, positive_min);
    std::string text = table(lines);
    // The confusion matrix after f1, where the table has always had it.
    const size_t after_f1 = text.find("\nmcc");
    text.insert(after_f1 + 1, fmt::format("{:<{}}tp {}  fp {}  tn {}  fn {}\n", "confusion", kNameWidth,
                                          c.true_positive, c.false_positive, c.true_negative,
                                          c.false_negative));
    fmt::print("{}", text);
    if (cosine) {
      const auto positive = std::make_unique<bool[]>(scores.size());
      for (size_t i = 0; i < scores.size(); ++i) positive[i] = labels[i] >= positive_min;
      const auto st = binary_classification_evaluator_metrics(
          scores, std::span<const bool>(positive.get(), scores.size()), metrics.curve);
      const std::vector<MetricLine> st_lines = evaluator_lines(st, metrics);
      add_lines(json, st_lines);
      fmt::print("sentence-transformers' evaluators (cosine):\n{}", table(st_lines));
      lines.insert(lines.end(), st_lines.begin(), st_lines.end() - 2);  // pearson/spearman are there
    }
  } else {
    lines = correlation_lines(metrics);
    add_lines(json, lines);
    if (cosine) {
      json["pearson_cosine"] = json["pearson"];
      json["spearman_cosine"] = json["spearman"];
    }
    json["graded"] = true;
    fmt::print("{:<{}}{} (graded labels)\n{}", "pairs", kNameWidth, metrics.count, table(lines));
    if (!o.run.quiet)
      fmt::print(stderr, "simscore: the labels are graded, so only correlations are computed; for accuracy, "
                         "F1, AP and the curves say which labels count as similar with --positive-min "
                         "(e.g. 4 for STS-B's 0-5)\n");
  }
  io::RunReport report = session.report("eval", reader.display_name(), *counts);
  report.metrics = json;
  if (!o.curve.empty()) io::write_threshold_curve(o.curve, metrics.curve);
  if (!o.html.empty()) {
    io::HtmlPage page;
    page.title = "simscore eval: " + reader.display_name();
    page.groups = label_groups(scores, labels, o.positive_min, graded);
    io::EvalView& view = page.eval.emplace();
    if (binary) view.curve = metrics.curve;
    view.threshold = threshold;
    view.best_threshold = metrics.best_threshold;
    view.metrics = html_rows(lines);
    io::write_html(o.html, page, report);
  }
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
      "eval", "Score a labelled pair file and print F1, precision, recall, AP, MCC, ROC-AUC, Pearson, Spearman");
  add_input_options(*command, options->input);
  options->files.add_input("input", options->input.path);
  options->files.add_stdout_use("the metrics table");
  command->add_option("--label", options->input.columns.label, "Column of the label (default: label when the header or JSON object has one, else 3)");
  add_model_options(*command, options->model);
  options->files.add_model(options->model.model);
  add_output_options(*command, options->output, "Also write the per-row scores here", options->files);
  add_run_options(*command, options->run, options->files);
  command->add_option("--threshold", options->threshold,
                      "Decision threshold: score >= threshold is predicted similar (default 0.5; see "
                      "README for cosine scores)")
      ->check(finite_number);
  command->add_option("--positive-min", options->positive_min,
                      "Labels >= this count as similar (default 1 for 0/1 labels; needed for binary "
                      "metrics of graded labels such as STS-B's 0-5; without it, graded labels get the "
                      "correlations only)")
      ->check(finite_number);
  options->files.add_output(*command, "--curve", options->curve,
                            "Write the threshold curve here: TSV, one row per distinct score (threshold tp "
                            "fp tn fn precision recall f1 fpr tpr)",
                            "the threshold curve");
  options->files.add_output(*command, "--html", options->html,
                            "Write a self-contained HTML report here: score histogram per label, "
                            "precision-recall, ROC and F1 curves, metrics, run facts",
                            "the HTML page");
  return [command, options] { return command->parsed() ? run_eval(*options) : -1; };
}

}  // namespace simscore::cli
