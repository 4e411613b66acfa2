#pragma once
// How per-row results are written by `score` and `eval -o`: the score alone (default), or the id
// and then the score (--id), or every input column and then the score (--with-input); an empty
// score field for a row that failed under --on-error skip, so the lines stay aligned with the input.
// Always one line per row: a tab, LF or CR inside an echoed field is written as \t, \n or \r, and
// a backslash as \\, so the echo reads back unambiguously (left to right, each \ and the character
// after it are one escape).

#include <CLI/CLI.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/run_files.h"
#include "io/pair_reader.h"

namespace simscore::cli {

struct OutputOptions {
  std::string path = "-";
  bool with_input = false;
  bool resume = false;
};

// -o joins the run's files (`files`) as "the scores".
void add_output_options(CLI::App& command, OutputOptions& options, const char* what, RunFiles& files);

// Resuming: why a complete line of FILE.partial is not one of ours ("" when it can be): its last
// field must be a score (a float, or empty for a failed row) or the header's "score".
std::string score_line_problem(std::string_view line);

// The scores of a written output file (a resumed run's page covers the rows kept from FILE.partial
// too): the last field of every line after the header, failed rows (empty) left out.
std::vector<double> scores_in(const std::string& path, bool header);

// The header line written when the input has one (--header): the input's column names with
// --with-input, else "id" (with --id), then "score".
std::string output_header(const OutputOptions& options, const io::PairReader& reader, bool has_id);

// Appends an echoed input field to `text`, a tab, LF, CR or backslash in it written as \t, \n, \r
// or \\.
void append_field(std::string& text, const std::string& field);

// Appends one line per row to `text`.
void format_rows(const OutputOptions& options, std::span<const io::PairRow> rows,
                 std::span<const std::optional<float>> scores, std::string& text);

}  // namespace simscore::cli
