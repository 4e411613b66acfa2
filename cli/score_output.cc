#include "cli/score_output.h"

#include <fmt/format.h>

namespace simscore::cli {

void add_output_options(CLI::App& command, OutputOptions& o, const char* what) {
  command.add_option("--output,-o", o.path,
                     std::string(what) + " (as FILE.partial, renamed to FILE only when complete)");
  command.add_flag("--with-input", o.with_input,
                   "Echo the input columns before each score (with --header the output has a header "
                   "line too)");
  command.add_flag("--resume", o.resume,
                   "With -o FILE: continue an interrupted run after the complete rows of "
                   "FILE.partial (same input, --window and --threads: the result is then identical)");
}

std::string output_header(const OutputOptions& o, const io::PairReader& reader, bool has_id) {
  std::string line;
  if (o.with_input) {
    for (const std::string& name : reader.header()) line += name + '\t';
  } else if (has_id) {
    line += "id\t";
  }
  return line + "score\n";
}

void format_rows(const OutputOptions& o, std::span<const io::PairRow> rows,
                 std::span<const std::optional<float>> scores, std::string& text) {
  for (size_t i = 0; i < rows.size(); ++i) {
    if (o.with_input) {
      for (const std::string& field : rows[i].fields) text += field + '\t';
    } else if (rows[i].id) {
      text += *rows[i].id + '\t';
    }
    // The shortest text that reads back as the same float: nothing is lost, so metrics computed
    // from the file equal ours exactly.
    if (scores[i]) fmt::format_to(std::back_inserter(text), "{}", *scores[i]);
    text += '\n';
  }
}

}  // namespace simscore::cli
