// simscore score: one score per input row, in input order.

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "cli/commands.h"
#include "cli/console.h"
#include "cli/exit_codes.h"
#include "cli/input_options.h"
#include "cli/run_files.h"
#include "cli/run_identity.h"
#include "cli/score_output.h"
#include "cli/scoring_session.h"
#include "core/errors.h"
#include "io/html_report.h"
#include "io/output_file.h"

namespace simscore::cli {
namespace {

struct ScoreOptions {
  InputOptions input;
  ModelOptions model;
  RunOptions run;
  OutputOptions output;
  std::string html;  // --html FILE
  RunFiles files;
};

int run_score(const ScoreOptions& o) {
  o.files.check();
  check_resume(o.input, o.output);
  ScoringSession session(o.model, o.run);
  io::PairReader reader = open_pairs(o.input, o.run.quiet);
  std::vector<double> scores;
  const auto collect = [&](std::span<const io::PairRow>, std::span<const std::optional<float>> window) {
    for (const auto& score : window)
      if (score) scores.push_back(*score);
  };
  const auto counts = write_scores(reader, session, o.input, o.output, o.run.quiet,
                                   o.html.empty() ? WindowSink() : WindowSink(collect));
  if (!counts) return kInterrupted;
  const io::RunReport report = session.report("score", reader.display_name(), *counts);
  if (!o.html.empty()) {
    if (counts->resumed) scores = scores_in(o.output.path, o.input.header);
    io::HtmlPage page;
    page.title = "simscore score: " + reader.display_name();
    page.groups = {{"all pairs", std::move(scores)}};  // every row of the output, resumed ones too
    io::write_html(o.html, page, report);
  }
  session.publish(report);
  return kSuccess;
}

}  // namespace

std::optional<PairRunCounts> write_scores(io::PairReader& reader, ScoringSession& session,
                                          const InputOptions& input, const OutputOptions& output,
                                          bool quiet, const WindowSink& also,
                                          const RowCheck& extra_check, bool resumable) {
  // Every kept line ends in a score, and has as many fields as the first.
  std::optional<size_t> fields;
  const io::LineCheck line_problem = [&fields](std::string_view line) -> std::string {
    const size_t tabs = static_cast<size_t>(std::count(line.begin(), line.end(), '\t'));
    if (fields.value_or(tabs) != tabs) return fmt::format("{} fields, where the first line has {}", tabs + 1, *fields + 1);
    fields = tabs;
    return score_line_problem(line);
  };
  io::OutputFile out(output.path, output.resume, resume_fingerprint(input, output, session), line_problem);
  const bool header = input.header;
  PairRunOptions run = session.pair_run_options();
  run.skip_bad_rows = input.on_error == "skip";
  run.shard = input.shard;
  run.extra_check = extra_check;
  size_t resumed = 0;
  if (out.resumed_lines()) {
    // Resume at a window boundary: the windows then hold the same rows as in an uninterrupted run,
    // so the batches, and so every score to the last bit, are the same.
    run.skip_rows = out.resumed_lines() - (header ? 1 : 0);
    run.resume_at = [&](size_t kept) {
      resumed = kept;
      out.keep_first_lines(kept + (header ? 1 : 0));
      if (!quiet)
        print_error("simscore: resuming after the {} rows already in {}.partial\n", kept, output.path);
    };
  }
  if (header && !out.resumed_lines()) out.write(output_header(output, reader, input.columns.id.has_value()));

  std::string text;
  const auto write_window = [&](std::span<const io::PairRow> rows, std::span<const std::optional<float>> scores) {
    text.clear();
    format_rows(output, rows, scores, text);
    out.write(text);
    out.flush();
    if (also) also(rows, scores);
  };
  try {
    PairRunCounts counts = run_pairs(reader, session.scorer(), run, write_window);
    out.commit();
    counts.resumed = resumed;
    return counts;
  } catch (const Interrupted&) {
    // Complete windows are written; keep them for --resume and say where they are.
    out.keep_partial();
    if (out.is_file())
      print_error("simscore: interrupted; the complete rows are in {}.partial{}\n", output.path,
                  resumable ? " (continue with --resume)" : "");
    else
      print_error("simscore: interrupted; every row written so far is complete\n");
    return std::nullopt;
  }
}

Run add_score_command(CLI::App& app) {
  auto options = std::make_shared<ScoreOptions>();
  CLI::App* command = app.add_subcommand("score", "Score sentence pairs: one score per input row, in order");
  add_input_options(*command, options->input);
  options->files.add_input("input", options->input.path);
  add_model_options(*command, options->model);
  options->files.add_model(options->model.model);
  add_output_options(*command, options->output, "Write the scores here instead of stdout", options->files);
  add_run_options(*command, options->run, options->files);
  options->files.add_output(*command, "--html", options->html,
                            "Also write a self-contained HTML page here: the score histogram and the run's facts",
                            "the HTML page");
  return [command, options] { return command->parsed() ? run_score(*options) : -1; };
}

}  // namespace simscore::cli
