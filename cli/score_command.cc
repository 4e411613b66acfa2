// simscore score: one score per input row, in input order.

#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/input_options.h"
#include "cli/model_options.h"
#include "core/encoder/bert_encoder.h"
#include "core/errors.h"
#include "io/output_file.h"

namespace simscore::cli {
namespace {

struct ScoreOptions {
  InputOptions input;
  ModelOptions model;
  std::string output = "-";
  size_t window = 20000;
};

int run_score(const ScoreOptions& o) {
  io::LoadedModel model = load_model(o.model);
  const BertEncoder encoder(model.config, model.weights);
  PairScorer scorer(*model.tokenizer, encoder, model.scoring);

  io::PairReader reader = open_pairs(o.input);
  io::OutputFile out(o.output);
  const bool skip = o.input.on_error == "skip";
  size_t failed = 0;

  std::vector<io::PairRow> rows(o.window);
  std::vector<TextPair> pairs;
  std::vector<bool> ok;
  std::string text;
  for (bool more = true; more;) {
    // Read one window of rows, score the good ones, write every row in input order.
    size_t count = 0;
    while (count < rows.size() && (more = reader.next(rows[count]))) ++count;
    pairs.clear();
    ok.assign(count, true);
    for (size_t i = 0; i < count; ++i) {
      const std::string problem = row_problem(rows[i]);
      if (problem.empty()) {
        pairs.push_back({rows[i].text_a, rows[i].text_b});
        continue;
      }
      if (!skip) throw InputError(reader.display_name(), rows[i].line, problem);
      fmt::print(stderr, "{}:{}: skipped: {}\n", reader.display_name(), rows[i].line, problem);
      ok[i] = false;
      ++failed;
    }
    const std::vector<float> scores = scorer.score(pairs);
    text.clear();
    for (size_t i = 0, next = 0; i < count; ++i) {
      if (ok[i]) fmt::format_to(std::back_inserter(text), "{:.6f}", scores[next++]);
      text += '\n';
    }
    out.write(text);
    out.flush();
  }
  out.commit();
  if (failed) fmt::print(stderr, "{} rows skipped (their score fields are empty)\n", failed);
  return kSuccess;
}

}  // namespace

Run add_score_command(CLI::App& app) {
  auto options = std::make_shared<ScoreOptions>();
  CLI::App* command = app.add_subcommand("score", "Score sentence pairs: one score per input row, in order");
  add_input_options(*command, options->input);
  add_model_options(*command, options->model);
  command->add_option("--output,-o", options->output,
                      "Write scores here (renamed into place only when complete); default stdout");
  command->add_option("--window", options->window,
                      "Rows read, scored and written at a time (memory is bounded by it; default 20000)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 26));
  return [command, options] { return command->parsed() ? run_score(*options) : -1; };
}

}  // namespace simscore::cli
