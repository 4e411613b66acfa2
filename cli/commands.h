#pragma once
// The subcommands. Each registers its flags on the app and returns the function that runs it.

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>

#include "cli/input_options.h"
#include "cli/pair_run.h"
#include "cli/score_output.h"
#include "cli/scoring_session.h"

namespace simscore::cli {

using Run = std::function<int()>;

Run add_score_command(CLI::App& app);
Run add_eval_command(CLI::App& app);

Run add_tokenize_command(CLI::App& app);
Run add_convert_command(CLI::App& app);
Run add_inspect_command(CLI::App& app);

// Scores every row of `reader` and writes the per-row output (score_command.cc); `also` sees each
// window too. nullopt when interrupted (the complete rows are kept in FILE.partial; the message
// points to --resume when `resumable`).
std::optional<PairRunCounts> write_scores(io::PairReader& reader, ScoringSession& session,
                                          const InputOptions& input, const OutputOptions& output,
                                          bool quiet, const WindowSink& also = {},
                                          const RowCheck& extra_check = {}, bool resumable = true);

}  // namespace simscore::cli
