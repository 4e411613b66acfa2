#pragma once
// The hand-written part of the manual: what each command is for and its examples. The options come
// from the CLI11 definitions themselves (cli/manual.h), so `--help`, the man page and the bash
// completion are written from one source and cannot drift.

#include <string>
#include <vector>

namespace simscore::cli {

inline constexpr const char* kVersionText = "simscore 0.1.0";

struct Example {
  std::string command;  // as typed in a shell
  std::string what;     // one line: what it does
};

struct CommandText {
  std::string name;
  std::string description;  // a paragraph for the man page
  std::vector<Example> examples;
};

struct ExitStatus {
  int code;
  std::string meaning;
};

struct EnvironmentVariable {
  std::string name;
  std::string meaning;
};

const std::vector<CommandText>& command_texts();
const std::vector<ExitStatus>& exit_statuses();
const std::vector<EnvironmentVariable>& environment_variables();
extern const char* const kProgramDescription;

// The footer `--help` prints after a command's options: its examples.
std::string examples_footer(const CommandText& text);

}  // namespace simscore::cli
