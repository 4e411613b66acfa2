#include "cli/usage_hint.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace simscore::cli {
namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The closest of `names`, when it is within 2 edits (a swapped pair of letters is 2), or a third of
// the word's length for long words: close enough to be a typo, not a different word.
std::string nearest(const std::string& word, const std::vector<std::string>& names) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& name : names) {
    const size_t distance = name.starts_with(word) ? 1 : edit_distance(word, name);
    if (distance < best_distance) best = name, best_distance = distance;
  }
  return best;
}

}  // namespace

std::string usage_hint(CLI::App& app, int argc, char** argv) {
  std::vector<std::string> commands;
  for (const CLI::App* command : app.get_subcommands([](CLI::App*) { return true; }))
    commands.push_back(command->get_name());
  if (argc < 2) return "";
  const std::string first = argv[1];
  if (!first.starts_with("-") && std::find(commands.begin(), commands.end(), first) == commands.end()) {
    const std::string command = nearest(first, commands);
    return command.empty() ? "" : fmt::format("did you mean `simscore {}`?", command);
  }
  const std::vector<CLI::App*> parsed = app.get_subcommands();
  CLI::App* command = parsed.empty() ? &app : parsed.front();
  std::vector<std::string> options;
  for (const CLI::Option* option : command->get_options())
    for (const std::string& name : option->get_lnames()) options.push_back("--" + name);
  for (int i = 2; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "--") break;
    if (!word.starts_with("--")) continue;
    word = word.substr(0, word.find('='));
    if (std::find(options.begin(), options.end(), word) != options.end()) continue;
    const std::string option = nearest(word, options);
    if (!option.empty()) return fmt::format("did you mean {} instead of {}?", option, word);
  }
  return "";
}

}  // namespace simscore::cli
