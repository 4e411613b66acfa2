#pragma once
// A check for numeric options, put before their CLI::Range: a value that is not a number at all is
// said to be one ("--threads: abc is not a whole number"), where CLI::Range alone would say
// "Value abc not in range 1 to 1024" as if it were a number out of range.

#include <CLI/CLI.hpp>
#include <string>

namespace simscore::cli {

inline CLI::Validator whole_number() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        const bool digits = !value.empty() && value.find_first_not_of("0123456789") == std::string::npos;
        return digits ? std::string() : value + " is not a whole number";
      },
      "");
}

}  // namespace simscore::cli
