#pragma once
// Streams sentence pairs out of the files people really have (TSV, CSV, JSON lines, gzipped or not),
// one row at a time in constant memory, saying which file and line is wrong instead of guessing.
//
// Rules shared by every format:
//   - A UTF-8 byte order mark at the start of the input is skipped.
//   - Lines end in "\n" or "\r\n"; the "\r" is dropped. A last line without a newline is a row.
//     Any other "\r" outside a quoted CSV field (classic Mac line ends) makes its row an error
//     ("carriage return ... inside the line"), never part of a text or a line break.
//   - An empty line is an error row ("empty line"), never silently dropped. For JSON lines a line of
//     only spaces or tabs counts as empty too.
//   - Every field must be valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF)
//     and free of NUL bytes; a line (CSV: a record) longer than max_line_bytes is an error row and
//     only max_line_bytes of it are ever held in memory. That row is returned as soon as the line
//     is known to be too long, and the rest of it read past when the next row is asked for, so an
//     endless line is reported rather than read forever.
// Format rules:
//   - TSV splits on tabs only and never interprets quotes: MRPC and STS-B contain literal '"'.
//   - CSV follows RFC 4180 (quoted fields, "" escapes, commas and newlines inside quotes). Like
//     Python's csv module, a quote inside an unquoted field and text after a closing quote are kept
//     literally. PairRow::line is the line where the record starts.
//   - JSON lines: one object per line. A name selects a key; an index "n" selects the n-th key of
//     that line's object in document order. A missing key is an error row naming the keys found. The texts must be strings: any other value there is an
//     error row. A label or id may also be a number, rendered as JSON writes it (1 -> "1",
//     0.5 -> "0.5"), and a label true/false, read as "1"/"0"; null, arrays and objects are error
//     rows. The header option is ignored.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/row_failure.h"

namespace simscore::io {

enum class PairFormat { tsv, csv, jsonl };

// The format a path's extension suggests, ignoring a trailing ".gz": ".csv" -> csv,
// ".jsonl"/".json"/".ndjson" -> jsonl, anything else -> tsv.
PairFormat guess_pair_format(const std::string& path);

// A column is chosen by 1-based index ("3") or, with a header / for JSON lines, by name
// ("sentence1"). A spec made only of digits is always an index. An empty spec is the default, chosen
// by name so that it cannot silently land on another column:
//   - JSON lines: the first key present of sentence1/text_a/query (text_a), sentence2/text_b/passage
//     (text_b) and label (label); a line without one is an error row naming the keys it has.
//   - TSV/CSV with a header: the column with one of those names, else by position 1, 2, 3 (and
//     default_columns_notice() says so). Without a header: positions 1, 2, 3.
struct PairColumns {
  std::string text_a;
  std::string text_b;
  std::optional<std::string> label;  // nullopt: not read; "": the default
  std::optional<std::string> id;
};

struct PairReaderOptions {
  PairFormat format = PairFormat::tsv;
  // The format was guessed, not given: a TSV input that looks like JSON lines is refused (InputError
  // suggesting --format jsonl) rather than read as one-column rows.
  bool format_guessed = false;
  bool header = false;  // TSV/CSV: the first row names the columns
  PairColumns columns;
  size_t max_line_bytes = size_t{1} << 20;
  // Asked when a read is interrupted by a signal: true ends the wait with Interrupted (a stop
  // request while the input is slow or silent), false reads on.
  std::function<bool()> should_stop;
};

struct PairRow {
  size_t line = 0;  // 1-based physical line where the row starts
  std::string text_a, text_b;
  std::optional<std::string> label, id;  // raw text of those columns when asked for
  // Every input column as read (for --with-input); for JSON lines the selected values in the order
  // text_a, text_b, label, id (the last two when asked for).
  std::vector<std::string> fields;
  // Non-empty: the row is malformed and why ("expected at least 2 columns, found 1", "invalid UTF-8
  // at byte 17 of column 2", ...). Byte positions are 1-based. `failure` says which kind of problem.
  std::string error;
  RowFailure failure = RowFailure::none;
};

class PairReader {
 public:
  // path "-" is stdin. A path ending in .gz, or gzip magic bytes on any input (stdin included), is
  // decompressed on the fly with zlib. Throws InputError(file, 0, ...) if the file cannot be opened
  // or a column is named but there is no header; InputError(file, 1, ...) for a bad header line or a
  // name the header lacks (the message lists the available columns).
  PairReader(std::string path, PairReaderOptions options);
  ~PairReader();
  PairReader(PairReader&&) noexcept;
  PairReader& operator=(PairReader&&) noexcept;

  // Reads the next row into `row` (whose buffers are reused); false at the end of input. Row-level
  // problems are reported in row.error and reading continues, so the caller decides to fail or
  // skip. Problems that make the rest of the stream unreadable (corrupt or truncated gzip, a read
  // error, an unterminated CSV quote at the end of the file) throw InputError with file and line.
  bool next(PairRow& row);

  // TSV/CSV: the header's column names when options.header. JSON lines: the keys of the first line
  // when it is an object (read ahead by the constructor). Otherwise empty.
  const std::vector<std::string>& header() const { return header_; }
  // The names of what a row's `fields` hold, for a header over echoed rows: the header for TSV/CSV;
  // for JSON lines the selected keys only (text_a, text_b, then label and id when asked for).
  std::vector<std::string> field_names() const;
  const std::string& display_name() const { return display_name_; }  // the path, or "<stdin>"
  // TSV/CSV with a header: a sentence saying which default columns were taken by position because
  // the header has none of their names (sentence1, ...); empty when none were.
  const std::string& default_columns_notice() const { return default_columns_notice_; }
  // Progress: bytes taken from the file so far (compressed bytes for gzip), and the file's size
  // when it is a regular file (stdin redirected from a file included).
  uint64_t bytes_read() const;
  // Bytes taken by the rows returned so far (the read-ahead buffer excluded; gzip: estimated from
  // the compression ratio so far), the same measure as size_bytes().
  uint64_t bytes_consumed() const;
  std::optional<uint64_t> size_bytes() const { return size_bytes_; }

 private:
  class ByteSource;
  // A column spec resolved against the header: an index (TSV/CSV, and JSONL when numeric) or a key.
  struct Column {
    size_t index = 0;  // 0-based
    std::string name;  // JSONL key; empty when selected by index
    std::vector<std::string> alternatives;  // JSONL default: name, then these, first present wins
    std::string spec;  // as the user wrote it, for messages
  };

  bool fill();
  bool read_line(bool& too_long);
  void skip_rest_of_long_line();
  int next_byte();
  int peek_byte();
  void skip_bom();
  void throw_input_error(size_t line, const std::string& problem) const;

  void read_header();
  void refuse_jsonl_as_tsv(size_t line) const;
  Column resolve(const std::string& spec, const char* role) const;
  Column resolve_default(const std::vector<std::string>& names, const std::string& position, const char* role);
  bool stray_carriage_return(PairRow& row) const;
  bool next_tsv(PairRow& row);
  bool next_csv(PairRow& row);
  bool next_jsonl(PairRow& row);
  bool read_csv_record(std::vector<std::string>& fields, bool& too_long, bool& empty);
  enum class CsvState { field_start, unquoted, quoted, after_quote };
  bool scan_csv_record(std::vector<std::string>& fields, bool& too_long, bool& empty, CsvState& state,
                       size_t start_line, bool stop_when_too_long);
  void select_columns(PairRow& row) const;

  std::string display_name_;
  PairReaderOptions options_;
  std::optional<uint64_t> size_bytes_;
  std::unique_ptr<ByteSource> source_;
  std::vector<char> buffer_;  // decompressed input; [begin_, end_) is not yet consumed
  size_t begin_ = 0;
  size_t end_ = 0;
  bool source_done_ = false;
  size_t line_ = 0;          // physical lines consumed so far
  std::string line_text_;    // the current physical line, at most max_line_bytes + 1 bytes
  bool rest_of_line_pending_ = false;  // read_line returned a too-long line before its end
  std::optional<CsvState> csv_rest_;  // read_csv_record returned a too-long record before its end
  size_t csv_rest_line_ = 0;          // where that record started
  size_t csv_record_line_ = 0;        // where the record read_csv_record returned last starts
  bool csv_stray_cr_ = false;         // the last record held a "\r" outside quotes, not a line end
  std::vector<std::string> header_;
  std::string default_columns_notice_;
  Column text_a_, text_b_;
  std::optional<Column> label_, id_;
  size_t min_columns_ = 2;   // TSV/CSV: a row needs this many to hold every selected column
  bool jsonl_first_line_done_ = false;
  bool tsv_first_row_done_ = false;
  std::optional<PairRow> pending_;  // JSONL: the first row, read ahead to learn the keys
};

}  // namespace simscore::io
