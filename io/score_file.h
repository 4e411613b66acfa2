#pragma once
// `eval --scores FILE`: scores another tool computed for the rows of the evaluated file (a
// PyTorch baseline, an earlier `simscore score -o`), evaluated as one more system.
//
// One line per input row, in the input's order. The score is the line's last tab-separated field,
// so `simscore score -o` output reads as written, with --id or --with-input too; an empty field
// means the tool has no score for that row (it failed there). A first line whose last field is
// "score" is a header. Anything else that is not a finite number is an InputError naming the file
// and the line.

#include <optional>
#include <string>
#include <vector>

namespace simscore::io {

struct ScoreFile {
  std::string path;
  std::vector<std::optional<double>> scores;  // one per row; nullopt: no score
  size_t header_lines = 0;                    // 1 when the first line was a header
};

ScoreFile read_score_file(const std::string& path);

// InputError naming the file and the line where it and the input part ways, when it does not hold
// exactly `rows` lines of scores.
void require_rows(const ScoreFile& file, size_t rows);

}  // namespace simscore::io
