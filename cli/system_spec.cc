#include "cli/system_spec.h"

#include <charconv>
#include <cmath>
#include <vector>

namespace simscore::cli {

SystemSpec parse_system_spec(const std::string& spec, const ModelOptions& first) {
  SystemSpec out{first, "", std::nullopt};
  const auto fail = [&](const std::string& problem) {
    return CLI::ValidationError("--system", "\"" + spec + "\": " + problem);
  };
  std::vector<std::string> args;
  for (size_t begin = 0; begin <= spec.size();) {
    size_t end = spec.find(',', begin);
    if (end == std::string::npos) end = spec.size();
    const std::string item = spec.substr(begin, end - begin);
    begin = end + 1;
    const size_t equals = item.find('=');
    if (equals == std::string::npos || equals == 0)
      throw fail("expected KEY=VALUE items separated by commas, got \"" + item + "\"");
    const std::string key = item.substr(0, equals), value = item.substr(equals + 1);
    if (key == "name") {
      if (value.empty()) throw fail("name= needs a name");
      out.name = value;
    } else if (key == "threshold") {
      double t = 0;
      const auto [ptr, error] = std::from_chars(value.data(), value.data() + value.size(), t);
      if (error != std::errc() || ptr != value.data() + value.size() || !std::isfinite(t))
        throw fail("threshold= needs a finite number, got \"" + value + "\"");
      out.threshold = t;
    } else {
      args.push_back("--" + key);
      args.push_back(value);
    }
  }
  // The model flags themselves, bound to a copy of the first system's options: what a SPEC leaves
  // out stays as the first system has it. --verbose is a flag, not a KEY=VALUE.
  CLI::App parser("--system");
  add_model_options(parser, out.model);
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses a reversed vector
    parser.parse(reversed);
  } catch (const CLI::ParseError& e) {
    throw fail(e.what());
  }
  return out;
}

}  // namespace simscore::cli
