#pragma once
// The flags that say how to read a pair file (--format, --header, --text-a, ...), which of its
// rows this process takes (--shard) and what to do with a malformed row (--on-error).

#include <CLI/CLI.hpp>
#include <string>

#include "cli/shard.h"
#include "io/pair_reader.h"

namespace simscore::cli {

struct InputOptions {
  std::string path = "-";
  std::string format;  // empty: from the file name (.csv, .jsonl), else tsv
  bool header = false;
  io::PairColumns columns;
  std::string on_error = "fail";
  Shard shard;  // --shard K/N; every row by default
};

void add_input_options(CLI::App& command, InputOptions& options);
// The check every column flag carries (--text-a, --text-b, --id, eval's --label): columns are
// counted from 1, so an index of 0 is a usage error before any file is opened.
CLI::Validator column_spec();
// Opens the input; unless `quiet`, says on stderr which default columns a header left to position.
io::PairReader open_pairs(const InputOptions& options, bool quiet = false);

// main() found descriptor 0 closed (`<&-`): reading stdin is refused rather than reading /dev/null.
void mark_stdin_closed();

// Why a row cannot be scored: the reader's problem, else an empty text; none when it can.
io::RowProblem row_problem(const io::PairRow& row);

}  // namespace simscore::cli
