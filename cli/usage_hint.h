#pragma once
// "Did you mean ...?" for a mistyped subcommand or option, from the names the parser knows.

#include <CLI/CLI.hpp>
#include <string>

namespace simscore::cli {

// The nearest subcommand to an unknown first word, or the nearest option of the chosen subcommand
// to an unknown --option, as a sentence ("did you mean `score`?"); empty when nothing is close.
std::string usage_hint(CLI::App& app, int argc, char** argv);

}  // namespace simscore::cli
