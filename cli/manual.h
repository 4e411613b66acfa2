#pragma once
// The man page and the bash completion, written by walking the same CLI::App tree `--help` prints
// (run at build time: `simscore --write-manual man|bash FILE`, see cli/CMakeLists.txt), so neither
// can name an option the program does not have or miss one it has.

#include <CLI/CLI.hpp>
#include <string>

namespace simscore::cli {

// Sets each command's --help footer to its examples (cli/manual_text.h).
void add_examples_to_help(CLI::App& app);

std::string man_page(const CLI::App& app);        // roff, section 1
std::string bash_completion(const CLI::App& app);  // a bash-completion script for `simscore`

// `simscore --write-manual man|bash FILE`: a hidden entry point taken before the command line is
// parsed. Returns the exit code, or -1 when argv does not ask for it.
int write_manual_if_asked(const CLI::App& app, int argc, char** argv);

}  // namespace simscore::cli
