#include "cli/input_options.h"

#include <fmt/format.h>

#include "cli/interrupt.h"
#include "core/errors.h"

namespace simscore::cli {

CLI::Validator column_spec() {
  return CLI::Validator(
      [](std::string& value) {
        const bool zero = !value.empty() && value.find_first_not_of('0') == std::string::npos;
        return zero ? std::string("columns are counted from 1; 0 is not a column") : std::string();
      },
      "");
}

void add_input_options(CLI::App& command, InputOptions& o) {
  command.add_option("input", o.path, "Pair file (TSV by default; .gz is read directly); - or none: stdin");
  command.add_option("--format", o.format, "tsv, csv or jsonl (default: from the file name, else tsv)")
      ->check(CLI::IsMember({"tsv", "csv", "jsonl"}));
  command.add_flag("--header", o.header, "The first row names the columns");
  command.add_option("--text-a", o.columns.text_a, "Column of the first text: 1-based index or name (default: sentence1, text_a or "
                 "query when the header or JSON object has one, else 1)")
      ->check(column_spec());
  command.add_option("--text-b", o.columns.text_b, "Column of the second text (default: sentence2, text_b or passage, else 2)")
      ->check(column_spec());
  command.add_option("--id", o.columns.id, "Column of a row id, echoed before each score")
      ->check(column_spec());
  command.add_option("--on-error", o.on_error,
                     "fail (default): stop at the first malformed row; skip: leave its score empty "
                     "and go on")
      ->check(CLI::IsMember({"fail", "skip"}));
  command
      .add_option_function<std::string>(
          "--shard",
          [&o](const std::string& text) {
            if (std::string problem = parse_shard(text, o.shard); !problem.empty())
              throw CLI::ValidationError("--shard", problem);
          },
          "Take only the data rows whose 0-based index (after the header) is K modulo N, e.g. 0/4; "
          "the other rows are read past, neither scored nor counted")
      ->type_name("K/N");
}

namespace {
bool stdin_closed = false;
}  // namespace

void mark_stdin_closed() { stdin_closed = true; }

io::PairReader open_pairs(const InputOptions& o, bool quiet) {
  if (o.path == "-" && stdin_closed)
    throw InputError("<stdin>", 0, "stdin is closed: give the input file as an argument");
  io::PairReaderOptions options;
  if (o.format.empty())
    options.format = o.path == "-" ? io::PairFormat::tsv : io::guess_pair_format(o.path);
  else
    options.format = o.format == "csv" ? io::PairFormat::csv
                     : o.format == "jsonl" ? io::PairFormat::jsonl
                                           : io::PairFormat::tsv;
  options.format_guessed = o.format.empty();
  options.header = o.header;
  options.should_stop = stop_requested;
  options.columns = o.columns;
  io::PairReader reader(o.path, options);
  if (!quiet && !reader.default_columns_notice().empty())
    fmt::print(stderr, "simscore: {}: {}\n", reader.display_name(), reader.default_columns_notice());
  return reader;
}

io::RowProblem row_problem(const io::PairRow& row) {
  if (row.failure != io::RowFailure::none) return {row.failure, row.error};
  if (row.text_a.empty()) return {io::RowFailure::empty_text, "the first text is empty"};
  if (row.text_b.empty()) return {io::RowFailure::empty_text, "the second text is empty"};
  return {};
}

}  // namespace simscore::cli
