#pragma once
// The subcommands. Each registers its flags on the app and returns the function that runs it.

#include <CLI/CLI.hpp>
#include <functional>

namespace simscore::cli {

using Run = std::function<int()>;

Run add_score_command(CLI::App& app);
Run add_tokenize_command(CLI::App& app);

}  // namespace simscore::cli
