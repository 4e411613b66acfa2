// simscore eval: score a labelled pair file and report the metrics a careful researcher would,
// computed exactly as scikit-learn and scipy compute them; with several systems (--system, --scores)
// on the same rows, each with bootstrap intervals, and each pair's paired differences and McNemar test.

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "cli/commands.h"
#include "cli/console.h"
#include "cli/eval_metric_lines.h"
#include "cli/eval_tables.h"
#include "cli/exit_codes.h"
#include "cli/input_options.h"
#include "cli/run_files.h"
#include "cli/run_identity.h"
#include "cli/system_spec.h"
#include "core/errors.h"
#include "core/metrics/comparison.h"
#include "io/chosen_thresholds.h"
#include "io/html_report.h"
#include "io/score_file.h"
#include "io/threshold_curve_file.h"

namespace simscore::cli {
namespace {

enum class TableFormat { text, tsv };

struct EvalOptions {
  InputOptions input;
  ModelOptions model;
  RunOptions run;
  OutputOptions output{.path = ""};
  std::optional<double> threshold;
  std::optional<double> positive_min;
  std::string curve;  // --curve FILE
  std::string html;   // --html FILE
  // Inputs besides the pair file: more systems' scores, and the thresholds an earlier run chose.
  std::vector<std::string> score_files;  // --scores FILE (repeatable)
  std::string threshold_from;            // --threshold-from REPORT
  std::vector<std::string> system_specs; // --system SPEC (repeatable)
  size_t bootstrap = 1000;               // resamples; 0: no intervals
  uint64_t seed = 0;
  TableFormat table = TableFormat::text;
  RunFiles files;                        // every file the run reads and writes
};

std::optional<double> parse_label(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
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

// One system of the comparison: a model configuration, or the scores of a --scores file.
struct EvalSystem {
  std::string name{};
  std::vector<std::optional<double>> scores{};  // one per input row; nullopt: none for that row
  double threshold = 0;
  std::string threshold_source{};
  bool cosine = false;                          // a bi-encoder model's cosines
  std::optional<io::RunReport> report{};        // models only

  size_t rows_scored() const {
    return std::count_if(scores.begin(), scores.end(), [](const auto& v) { return v.has_value(); });
  }
};

// What the first model's run also yields: the rows' labels (nullopt where the row failed).
struct Rows {
  std::vector<std::optional<double>> labels;
  std::string display_name;
};

// Labels are checked with the row, so a bad one is reported (or skipped) with its line.
io::RowProblem label_problem(const io::PairRow& row) {
  if (!row.label) return {io::RowFailure::bad_label, "the label column is missing"};
  if (!parse_label(*row.label)) return {io::RowFailure::bad_label, fmt::format("label \"{}\" is not a number", *row.label)};
  return {};
}

// Scores every row with one model configuration, the model in memory only meanwhile. The first
// writes -o and collects the labels. false when interrupted.
bool score_with_model(const EvalOptions& o, const ModelOptions& model, EvalSystem& system, Rows* rows) {
  ScoringSession session(model, o.run);
  io::PairReader reader = open_pairs(o.input, o.run.quiet || !rows);
  const auto collect = [&](std::span<const io::PairRow> window_rows, std::span<const std::optional<float>> window) {
    for (size_t i = 0; i < window_rows.size(); ++i) {
      system.scores.push_back(window[i] ? std::optional<double>(*window[i]) : std::nullopt);
      if (rows)
        rows->labels.push_back(window[i] && window_rows[i].label ? parse_label(*window_rows[i].label) : std::nullopt);
    }
  };
  std::optional<PairRunCounts> counts;
  if (o.output.path.empty() || !rows) {
    PairRunOptions run = session.pair_run_options();
    run.skip_bad_rows = o.input.on_error == "skip";
    run.shard = o.input.shard;
    run.extra_check = label_problem;
    try {
      counts = run_pairs(reader, session.scorer(), run, collect);
    } catch (const Interrupted&) {
      return false;
    }
  } else {
    counts = write_scores(reader, session, o.input, o.output, o.run.quiet, collect, label_problem, false);
    if (!counts) return false;
  }
  system.report = session.report("eval", reader.display_name(), *counts);
  system.cosine = session.model().scoring.mode == ScoringMode::bi;
  if (system.name.empty()) system.name = system.report->model.name + " " + system.report->precision;
  if (rows) rows->display_name = reader.display_name();
  return true;
}

// Unique names: a repeated one gets " (2)", " (3)", ...
void make_names_unique(std::vector<EvalSystem>& systems) {
  std::map<std::string, int> seen;
  for (EvalSystem& s : systems)
    if (const int n = ++seen[s.name]; n > 1) s.name += fmt::format(" ({})", n);
}

int run_eval(EvalOptions o) {
  if (!o.input.columns.label) o.input.columns.label = "";  // the default: "label" by name, else 3
  o.files.check();
  if (o.output.resume)
    throw CLI::ValidationError("--resume", "is for `score`: eval needs every score to compute its metrics");
  if (!o.score_files.empty() && o.input.shard.count > 1)
    throw CLI::ValidationError("--scores", "holds one score per row of the whole input; it cannot be "
                                           "compared on one --shard");
  if (!o.system_specs.empty() && o.input.path == "-")
    throw CLI::ValidationError("--system", "reads the input once per model: give a file, not stdin");
  std::vector<SystemSpec> specs;
  for (const std::string& text : o.system_specs) specs.push_back(parse_system_spec(text, o.model));
  // Every input is read and checked before the first model loads.
  std::vector<io::ScoreFile> score_files;
  for (const std::string& path : o.score_files) score_files.push_back(io::read_score_file(path));
  std::optional<std::map<std::string, double>> chosen;
  if (!o.threshold_from.empty()) chosen = io::read_chosen_thresholds(o.threshold_from);

  std::vector<EvalSystem> systems(1 + specs.size());
  Rows rows;
  for (size_t i = 0; i < systems.size(); ++i) {
    if (i > 0) systems[i].name = specs[i - 1].name;
    if (!score_with_model(o, i == 0 ? o.model : specs[i - 1].model, systems[i], i == 0 ? &rows : nullptr)) {
      print_error("simscore: interrupted before the metrics could be computed\n");
      return kInterrupted;
    }
  }
  for (const io::ScoreFile& file : score_files) {
    io::require_rows(file, rows.labels.size());
    systems.push_back({.name = file.path, .scores = file.scores});
  }
  make_names_unique(systems);

  // Thresholds: threshold= in a --system, else the one --threshold-from chose for the same name,
  // else --threshold.
  for (size_t i = 0; i < systems.size(); ++i) {
    EvalSystem& s = systems[i];
    if (i > 0 && i <= specs.size() && specs[i - 1].threshold) {
      s.threshold = *specs[i - 1].threshold;
      s.threshold_source = "--system threshold=";
    } else if (chosen) {
      const auto found = chosen->find(s.name);
      if (found == chosen->end())
        throw InputError(o.threshold_from, 0, fmt::format("has no system named \"{}\"", s.name));
      s.threshold = found->second;
      s.threshold_source = "best_threshold in " + o.threshold_from;
    } else {
      s.threshold = o.threshold.value_or(0.5);
      s.threshold_source = o.threshold ? "--threshold" : "default";
    }
  }

  // The rows every system scored (and whose label is valid) are the ones compared.
  std::vector<double> labels;
  std::vector<std::vector<double>> scores(systems.size());
  bool graded = false;
  for (size_t r = 0; r < rows.labels.size(); ++r) {
    bool everyone = rows.labels[r].has_value();
    for (const EvalSystem& s : systems) everyone = everyone && s.scores[r].has_value();
    if (!everyone) continue;
    labels.push_back(*rows.labels[r]);
    graded = graded || (labels.back() != 0 && labels.back() != 1);
    for (size_t i = 0; i < systems.size(); ++i) scores[i].push_back(*systems[i].scores[r]);
  }

  const bool binary = !graded || o.positive_min;
  if (!o.curve.empty() && !binary)
    throw CLI::ValidationError("--curve", "needs binary decisions: the labels are graded, say which count "
                                          "as similar with --positive-min");
  const double positive_min = o.positive_min.value_or(1.0);
  std::vector<BootstrapSystem> inputs;
  for (size_t i = 0; i < systems.size(); ++i) inputs.push_back({scores[i], systems[i].threshold});
  const BootstrapOptions bootstrap{.resamples = o.bootstrap, .seed = o.seed};
  const Comparison comparison = compare_systems(inputs, labels, positive_min, binary, bootstrap);

  io::RunReport report = *systems[0].report;
  std::vector<std::string> names;
  for (const EvalSystem& s : systems) names.push_back(s.name);
  const bool several = systems.size() > 1;
  if (several)
    for (size_t i = 0; i < systems.size(); ++i) {
      const size_t unscored = rows.labels.size() - systems[i].rows_scored();
      if (unscored)
        report.warnings.push_back(fmt::format("{} has no score for {} of the {} rows; the comparison uses the {} rows every system scored",
                                              systems[i].name, unscored, rows.labels.size(), labels.size()));
      if (i > 0 && systems[i].report)
        for (const std::string& w : systems[i].report->warnings)
          if (std::find(report.warnings.begin(), report.warnings.end(), w) == report.warnings.end())
            report.warnings.push_back(systems[i].name + ": " + w);
    }
  if (binary && !chosen)
    report.warnings.push_back("best_f1 and best_accuracy choose their threshold on these same labels, so they "
                              "are optimistic; choose thresholds on a development file and apply them with "
                              "--threshold-from");

  const SystemLines first = system_lines(comparison.systems[0].metrics, scores[0], labels, binary,
                                         systems[0].cosine, positive_min);
  const std::vector<io::HtmlTable> tables = comparison_tables(names, comparison, binary);
  const std::string tables_note =
      o.bootstrap ? fmt::format("95% intervals: percentile bootstrap over the {} rows every system scored, {} "
                                "resamples, seed {}; differences use the same resamples for both systems "
                                "(paired). McNemar: exact two-sided test on the decisions at each system's "
                                "threshold.", labels.size(), o.bootstrap, o.seed)
                  : std::string("no intervals (--bootstrap 0)");
  if (o.table == TableFormat::tsv) {
    fmt::print("{}", comparison_tsv(names, comparison, binary));
  } else {
    if (!several) fmt::print("{}", first.text);
    else fmt::print("{:<{}}{} compared (the rows every system scored)\n", "pairs", kNameWidth, labels.size());
    fmt::print("{}\n{}\n", tables_text(tables), tables_note);
    for (const std::string& w : report.warnings) fmt::print("note: {}\n", w);
  }
  if (!o.run.quiet && !binary)
    fmt::print(stderr, "simscore: the labels are graded, so only correlations are computed; for accuracy, "
                       "F1, AP and the curves say which labels count as similar with --positive-min "
                       "(e.g. 4 for STS-B's 0-5)\n");

  report.metrics = first.json;
  report.bootstrap = {{"resamples", o.bootstrap}, {"seed", o.seed}, {"confidence", bootstrap.confidence},
                      {"rows", labels.size()}};
  report.systems = nlohmann::json::array();
  for (size_t i = 0; i < systems.size(); ++i) {
    const SystemLines lines = i == 0 ? first
                                     : system_lines(comparison.systems[i].metrics, scores[i], labels, binary,
                                                    systems[i].cosine, positive_min);
    const size_t scored = systems[i].rows_scored();
    report.systems.push_back({{"name", systems[i].name},
                              {"source", systems[i].report ? "model" : "scores"},
                              {"threshold", systems[i].threshold},
                              {"threshold_source", systems[i].threshold_source},
                              {"rows_scored", scored},
                              {"rows_without_score", rows.labels.size() - scored},
                              {"metrics", lines.json},
                              {"intervals", intervals_json(comparison.systems[i].intervals, binary)}});
    if (systems[i].report) report.systems.back()["precision"] = systems[i].report->precision;
  }
  report.comparisons = comparisons_json(names, comparison, binary);
  if (!o.curve.empty()) io::write_threshold_curve(o.curve, comparison.systems[0].metrics.curve);
  if (!o.html.empty()) {
    io::HtmlPage page;
    page.title = "simscore eval: " + rows.display_name;
    page.groups = label_groups(scores[0], labels, o.positive_min, graded);
    io::EvalView& view = page.eval.emplace();
    for (size_t i = 0; i < systems.size(); ++i) {
      const Metrics& m = comparison.systems[i].metrics;
      view.systems.push_back({systems[i].name, binary ? m.curve : std::vector<CurvePoint>{}, systems[i].threshold,
                              m.best_threshold});
    }
    view.metrics = html_rows(first.lines);
    view.tables = tables;
    view.tables_note = tables_note;
    io::write_html(o.html, page, report);
  }
  publish_report(o.run, report);
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
  command->add_option("--label", options->input.columns.label, "Column of the label (default: label when the header or JSON object has one, else 3)")
      ->check(column_spec());
  add_model_options(*command, options->model);
  options->files.add_model(options->model.model);
  add_output_options(*command, options->output, "Also write the per-row scores here", options->files);
  add_run_options(*command, options->run, options->files);
  command->add_option("--threshold", options->threshold,
                      "Decision threshold: score >= threshold is predicted similar (default 0.5; see "
                      "docs/evaluation.md for cosine scores)")
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
                            "precision-recall, ROC and F1 curves (every system's, overlaid), metrics "
                            "with intervals, warnings, run facts",
                            "the HTML page");
  command->add_option("--system", options->system_specs,
                      "Also evaluate another model configuration on the same rows (repeatable): "
                      "KEY=VALUE[,KEY=VALUE...] overriding this command's model options (model, "
                      "precision, int8-ffn-output, mode, max-length, max-batch-tokens, threads), plus "
                      "name=TEXT and threshold=NUMBER; e.g. --system precision=int8")
      ->allow_extra_args(false);
  command->add_option("--scores", options->score_files,
                      "Also evaluate existing scores (repeatable): one line per input row, the score "
                      "its last tab-separated field (empty: no score); named by the file")
      ->allow_extra_args(false);
  options->files.add_input("--scores", options->score_files);
  command->add_option("--bootstrap", options->bootstrap,
                      "Resamples of the rows for the 95% intervals and paired differences (default "
                      "1000; 0: none)")
      ->check(CLI::Range(size_t{0}, size_t{1000000}));
  command->add_option("--seed", options->seed, "Seed of the bootstrap's resamples (default 0): the same "
                                               "seed gives the same intervals to the bit");
  command->add_option("--threshold-from", options->threshold_from,
                      "Apply the thresholds an earlier `eval --report` chose on another labelled file "
                      "(each system's best_threshold, by system name)")
      ->excludes("--threshold");
  options->files.add_input("--threshold-from", options->threshold_from);
  const std::map<std::string, TableFormat> formats{{"text", TableFormat::text}, {"tsv", TableFormat::tsv}};
  command->add_option("--table", options->table,
                      "text (default: aligned tables) or tsv (one line per system and metric, then per "
                      "pair and metric, for scripts)")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case));
  return [command, options] { return command->parsed() ? run_eval(*options) : -1; };
}

}  // namespace simscore::cli
