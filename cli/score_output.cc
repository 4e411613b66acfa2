#include "cli/score_output.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <fstream>

namespace simscore::cli {

// An echoed field (--with-input, --id, the header) must stay in its column and on its row's line,
// or the output no longer has one line per row: a tab, LF or CR in it (CSV and JSON lines can hold
// all three) is written as the two characters \t, \n or \r, and so a backslash itself as \\ (else
// a literal "\t" in a text and a tab would echo the same, and no reader could tell them apart).
// Fields without any of the four are echoed byte for byte.
void append_field(std::string& text, const std::string& field) {
  if (field.find_first_of("\t\n\r\\") == std::string::npos) {
    text += field;
    return;
  }
  for (const char c : field) {
    if (c == '\t')
      text += "\\t";
    else if (c == '\n')
      text += "\\n";
    else if (c == '\r')
      text += "\\r";
    else if (c == '\\')
      text += "\\\\";
    else
      text += c;
  }
}

void add_output_options(CLI::App& command, OutputOptions& o, const char* what, RunFiles& files) {
  files.add_output(command, "--output,-o", o.path,
                   std::string(what) + " (as FILE.partial, renamed to FILE only when complete)", "the scores");
  command.add_flag("--with-input", o.with_input,
                   "Echo the input columns before each score (with --header the output has a header "
                   "line too)");
  command.add_flag("--resume", o.resume,
                   "With -o FILE: continue an interrupted run after the complete rows of "
                   "FILE.partial (same input, --shard, --window and --threads: the result is then "
                   "identical)");
}

std::string score_line_problem(std::string_view line) {
  const size_t tab = line.rfind('\t');
  const std::string_view last = tab == std::string_view::npos ? line : line.substr(tab + 1);
  if (last.empty() || last == "score") return "";
  float value = 0;
  const auto [end, error] = std::from_chars(last.data(), last.data() + last.size(), value);
  if (error == std::errc() && end == last.data() + last.size() && std::isfinite(value)) return "";
  return fmt::format("\"{}\" is not a score", last.substr(0, 40));
}

std::vector<double> scores_in(const std::string& path, bool header) {
  std::ifstream in(path, std::ios::binary);
  std::vector<double> scores;
  std::string line;
  if (header) std::getline(in, line);
  while (std::getline(in, line)) {
    const size_t tab = line.rfind('\t');
    const std::string_view last = std::string_view(line).substr(tab == std::string::npos ? 0 : tab + 1);
    float value = 0;
    if (!last.empty() && std::from_chars(last.data(), last.data() + last.size(), value).ec == std::errc())
      scores.push_back(value);
  }
  return scores;
}

std::string output_header(const OutputOptions& o, const io::PairReader& reader, bool has_id) {
  std::string line;
  if (o.with_input) {
    for (const std::string& name : reader.field_names()) {
      append_field(line, name);
      line += '\t';
    }
  } else if (has_id) {
    line += "id\t";
  }
  return line + "score\n";
}

void format_rows(const OutputOptions& o, std::span<const io::PairRow> rows,
                 std::span<const std::optional<float>> scores, std::string& text) {
  for (size_t i = 0; i < rows.size(); ++i) {
    if (o.with_input) {
      for (const std::string& field : rows[i].fields) {
        append_field(text, field);
        text += '\t';
      }
    } else if (rows[i].id) {
      append_field(text, *rows[i].id);
      text += '\t';
    }
    // The shortest text that reads back as the same float: nothing is lost, so metrics computed
    // from the file equal ours exactly.
    if (scores[i]) fmt::format_to(std::back_inserter(text), "{}", *scores[i]);
    text += '\n';
  }
}

}  // namespace simscore::cli
