#include "io/score_file.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <fstream>

#include "core/errors.h"

namespace simscore::io {

ScoreFile read_score_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "cannot open the scores file");
  ScoreFile file{path, {}, 0};
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t tab = line.rfind('\t');
    const std::string field = tab == std::string::npos ? line : line.substr(tab + 1);
    if (number == 1 && field == "score") {
      file.header_lines = 1;
      continue;
    }
    if (field.empty()) {
      file.scores.emplace_back();
      continue;
    }
    double value = 0;
    const char* end = field.data() + field.size();
    const auto [ptr, error] = std::from_chars(field.data(), end, value);
    if (error != std::errc() || ptr != end || !std::isfinite(value))
      throw InputError(path, number, fmt::format("score \"{}\" is not a finite number", field));
    file.scores.push_back(value);
  }
  if (in.bad()) throw InputError(path, file.scores.size() + file.header_lines, "read error");
  return file;
}

void require_rows(const ScoreFile& file, size_t rows) {
  const size_t lines = file.scores.size();
  if (lines < rows)
    throw InputError(file.path, lines + file.header_lines + 1,
                     fmt::format("the file ends after {} scores, but the input has {} rows", lines, rows));
  if (lines > rows)
    throw InputError(file.path, rows + file.header_lines + 1,
                     fmt::format("{} scores, but the input has only {} rows: this line has no row", lines, rows));
}

}  // namespace simscore::io
