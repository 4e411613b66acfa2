#include "io/pair_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>

#include "core/errors.h"
#include "io/text_check.h"

namespace simscore::io {
namespace {

constexpr size_t kBufferBytes = size_t{1} << 20;

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A problem in the byte stream itself; PairReader adds the file and line.
class StreamError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Renders a JSON value selected as a column; false (with `problem` set) when it is not text-like.
bool json_value_text(const nlohmann::ordered_json& value, std::string& out, std::string& problem) {
  switch (value.type()) {
    case nlohmann::ordered_json::value_t::string:
      out = value.get_ref<const std::string&>();
      return true;
    case nlohmann::ordered_json::value_t::boolean:
      out = value.get<bool>() ? "1" : "0";
      return true;
    case nlohmann::ordered_json::value_t::number_integer:
    case nlohmann::ordered_json::value_t::number_unsigned:
    case nlohmann::ordered_json::value_t::number_float:
      out = value.dump();
      return true;
    default:
      problem = std::string("is ") + value.type_name() + ", expected a string or a number";
      return false;
  }
}

}  // namespace

PairFormat guess_pair_format(const std::string& path) {
  std::string_view name = path;
  if (ends_with(name, ".gz")) name.remove_suffix(3);
  std::string extension(name.substr(std::min(name.size(), name.rfind('.'))));
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".csv") return PairFormat::csv;
  if (extension == ".jsonl" || extension == ".json" || extension == ".ndjson") return PairFormat::jsonl;
  return PairFormat::tsv;
}

// The raw bytes of a file or stdin, gunzipped when the input is gzip. Reads with read(2) in large
// blocks; zlib inflates member after member, so concatenated .gz files read as one.
class PairReader::ByteSource {
 public:
  ByteSource(int fd, bool owns_fd, bool force_gzip, std::function<bool()> should_stop)
      : fd_(fd), owns_fd_(owns_fd), in_(kBufferBytes), should_stop_(std::move(should_stop)) {
    while (in_end_ < 2 && !raw_done_) read_raw_more();
    const bool magic = in_end_ >= 2 && in_[0] == 0x1f && in_[1] == 0x8b;
    gzip_ = force_gzip || magic;
    if (gzip_) {
      std::memset(&zs_, 0, sizeof zs_);
      if (inflateInit2(&zs_, 15 + 16) != Z_OK) throw StreamError("cannot initialise zlib");
      zs_ready_ = true;
    }
  }
  ~ByteSource() {
    if (zs_ready_) inflateEnd(&zs_);
    if (owns_fd_) close(fd_);
  }
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  uint64_t raw_bytes() const { return raw_bytes_; }
  // Bytes of the file behind the input consumed so far, when `unconsumed` bytes of what read()
  // returned are still unparsed. For gzip, those are mapped back at the compression ratio so far.
  uint64_t consumed_bytes(size_t unconsumed) const {
    const uint64_t fed = raw_bytes_ - (in_end_ - in_begin_);
    if (!gzip_ || decompressed_ == 0) return fed - std::min<uint64_t>(fed, unconsumed);
    const double ratio = static_cast<double>(fed) / static_cast<double>(decompressed_);
    return fed - std::min<uint64_t>(fed, static_cast<uint64_t>(unconsumed * ratio));
  }

  // Up to `capacity` bytes of decompressed input; 0 only at the end.
  size_t read(char* out, size_t capacity) {
    if (!gzip_) {
      if (in_begin_ < in_end_) {
        const size_t n = std::min(capacity, in_end_ - in_begin_);
        std::memcpy(out, in_.data() + in_begin_, n);
        in_begin_ += n;
        return n;
      }
      return raw_done_ ? 0 : read_fd(out, capacity);
    }
    zs_.next_out = reinterpret_cast<Bytef*>(out);
    zs_.avail_out = static_cast<uInt>(capacity);
    while (zs_.avail_out == capacity) {
      if (in_begin_ == in_end_ && !raw_done_) read_raw_more();
      if (member_done_) {
        // Another gzip member may follow (what `cat a.gz b.gz` produces); anything else is damage.
        while (in_end_ - in_begin_ < 2 && !raw_done_) read_raw_more();
        if (in_begin_ == in_end_) break;
        if (in_end_ - in_begin_ < 2 || in_[in_begin_] != 0x1f || in_[in_begin_ + 1] != 0x8b)
          throw StreamError("unexpected data after the end of the gzip stream");
        inflateReset(&zs_);
        member_done_ = false;
      }
      zs_.next_in = in_.data() + in_begin_;
      zs_.avail_in = static_cast<uInt>(in_end_ - in_begin_);
      const int status = inflate(&zs_, Z_NO_FLUSH);
      in_begin_ = in_end_ - zs_.avail_in;
      if (status == Z_STREAM_END) {
        member_done_ = true;
      } else if (status == Z_BUF_ERROR) {
        if (in_begin_ == in_end_ && raw_done_)
          throw StreamError("truncated gzip data (the file ends inside the compressed stream)");
      } else if (status != Z_OK) {
        throw StreamError(std::string("corrupt gzip data: ") + (zs_.msg ? zs_.msg : "inflate failed"));
      }
    }
    decompressed_ += capacity - zs_.avail_out;
    return capacity - zs_.avail_out;
  }

 private:
  size_t read_fd(void* out, size_t capacity) {
    for (;;) {
      const ssize_t n = ::read(fd_, out, capacity);
      if (n > 0) {
        raw_bytes_ += static_cast<uint64_t>(n);
        // A source that never pauses (`tr '\0' a </dev/zero`) never returns EINTR: the stop request
        // is asked after every read too, or the first SIGINT would go unnoticed.
        if (should_stop_ && should_stop_()) throw Interrupted();
        return static_cast<size_t>(n);
      }
      if (n == 0) {
        raw_done_ = true;
        return 0;
      }
      if (errno != EINTR) throw StreamError(std::string("read error: ") + std::strerror(errno));
      if (should_stop_ && should_stop_()) throw Interrupted();
    }
  }
  // Appends to in_, first moving the unread bytes to the front.
  void read_raw_more() {
    if (in_begin_ > 0) {
      std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
      in_end_ -= in_begin_;
      in_begin_ = 0;
    }
    in_end_ += read_fd(in_.data() + in_end_, in_.size() - in_end_);
  }

  int fd_;
  bool owns_fd_;
  uint64_t raw_bytes_ = 0;  // read from fd_ so far (compressed bytes for gzip)
  std::vector<unsigned char> in_;  // raw bytes read ahead; [in_begin_, in_end_) unread
  size_t in_begin_ = 0, in_end_ = 0;
  bool raw_done_ = false;
  bool gzip_ = false;
  z_stream zs_;
  bool zs_ready_ = false;
  bool member_done_ = false;
  uint64_t decompressed_ = 0;  // bytes read() has returned (gzip)
  std::function<bool()> should_stop_;
};

PairReader::PairReader(std::string path, PairReaderOptions options)
    : display_name_(path == "-" ? "<stdin>" : path), options_(std::move(options)) {
  if (options_.max_line_bytes == 0) throw InputError(display_name_, 0, "max_line_bytes must be positive");
  int fd = 0;
  if (path != "-") {
    // Opening a FIFO waits for its writer; a signal ends that wait (EINTR: no SA_RESTART), and one
    // that came before it (while the model loaded) keeps it from starting.
    if (options_.should_stop && options_.should_stop()) throw Interrupted();
    while ((fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC)) < 0 && errno == EINTR)
      if (options_.should_stop && options_.should_stop()) throw Interrupted();
    if (fd < 0) throw InputError(display_name_, 0, std::string("cannot open: ") + std::strerror(errno));
    struct stat info;
    if (fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) {
      close(fd);
      throw InputError(display_name_, 0, "cannot open: is a directory");
    }
  }
  if (struct stat info; fstat(fd, &info) == 0 && S_ISREG(info.st_mode))
    size_bytes_ = static_cast<uint64_t>(info.st_size);
  try {
    source_ = std::make_unique<ByteSource>(fd, path != "-", ends_with(path, ".gz"), options_.should_stop);
  } catch (const StreamError& error) {
    if (path != "-") close(fd);
    throw InputError(display_name_, 0, error.what());
  }
  catch (...) {
    if (path != "-") close(fd);
    throw;
  }
  buffer_.resize(kBufferBytes);
  skip_bom();

  if (options_.header && options_.format != PairFormat::jsonl) read_header();
  // The sentence-transformers / CLUE names first, then the other common spellings.
  static const std::vector<std::string> kTextA = {"sentence1", "text_a", "query"};
  static const std::vector<std::string> kTextB = {"sentence2", "text_b", "passage"};
  static const std::vector<std::string> kLabel = {"label"};
  const PairColumns& c = options_.columns;
  text_a_ = c.text_a.empty() ? resolve_default(kTextA, "1", "text_a") : resolve(c.text_a, "text_a");
  text_b_ = c.text_b.empty() ? resolve_default(kTextB, "2", "text_b") : resolve(c.text_b, "text_b");
  if (c.label) label_ = c.label->empty() ? resolve_default(kLabel, "3", "label") : resolve(*c.label, "label");
  if (options_.columns.id) id_ = resolve(*options_.columns.id, "id");
  min_columns_ = std::max(text_a_.index, text_b_.index) + 1;
  if (label_) min_columns_ = std::max(min_columns_, label_->index + 1);
  if (id_) min_columns_ = std::max(min_columns_, id_->index + 1);

  if (options_.format == PairFormat::jsonl) {
    PairRow first;
    if (next_jsonl(first)) pending_ = std::move(first);
  }
}

PairReader::~PairReader() = default;
PairReader::PairReader(PairReader&&) noexcept = default;
PairReader& PairReader::operator=(PairReader&&) noexcept = default;

void PairReader::throw_input_error(size_t line, const std::string& problem) const {
  throw InputError(display_name_, line, problem);
}

// Moves the unread bytes to the front of buffer_ and appends more input; false when nothing more
// could be read.
bool PairReader::fill() {
  if (source_done_) return false;
  if (begin_ == 0 && end_ == buffer_.size()) return true;  // full already: nothing to read into
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  size_t n = 0;
  try {
    n = source_->read(buffer_.data() + end_, buffer_.size() - end_);
  } catch (const StreamError& error) {
    throw_input_error(line_ + 1, error.what());
  }
  if (n == 0) source_done_ = true;
  end_ += n;
  return n > 0;
}

void PairReader::skip_bom() {
  while (end_ - begin_ < 3 && fill()) {
  }
  if (end_ - begin_ >= 3 && std::memcmp(buffer_.data() + begin_, "\xEF\xBB\xBF", 3) == 0) begin_ += 3;
}

int PairReader::next_byte() {
  if (begin_ == end_ && !fill()) return -1;
  return static_cast<unsigned char>(buffer_[begin_++]);
}

int PairReader::peek_byte() {
  if (begin_ == end_ && !fill()) return -1;
  return static_cast<unsigned char>(buffer_[begin_]);
}

// Reads one physical line into line_text_ without its "\n" or "\r\n"; false at the end of input.
// At most max_line_bytes + 1 bytes are kept (the extra one may be the "\r"); the rest of a longer
// line is consumed and dropped, and `too_long` says so.
bool PairReader::read_line(bool& too_long) {
  skip_rest_of_long_line();
  const size_t keep = options_.max_line_bytes + 1;
  line_text_.clear();
  size_t total = 0;
  bool any = false;
  for (;;) {
    if (begin_ == end_ && !fill()) break;
    any = true;
    const char* start = buffer_.data() + begin_;
    const size_t available = end_ - begin_;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', available));
    const size_t length = newline ? static_cast<size_t>(newline - start) : available;
    if (line_text_.size() < keep) line_text_.append(start, std::min(length, keep - line_text_.size()));
    total += length;
    begin_ += length + (newline ? 1 : 0);
    if (newline) break;
    // Past any length a "\r" could excuse and still no newline: the row is an error now, and the
    // rest of the line is read past when the next row is asked for. An endless line then fails the
    // run at once (--on-error fail) instead of being read forever before its error is seen.
    if (total > keep) {
      rest_of_line_pending_ = true;
      break;
    }
  }
  if (!any) return false;
  ++line_;
  if (total <= keep && !line_text_.empty() && line_text_.back() == '\r') {
    line_text_.pop_back();
    --total;
  }
  too_long = total > options_.max_line_bytes;
  return true;
}

// Reads past what read_line left of a line longer than the limit (constant memory; a signal ends
// an endless one through ByteSource's stop check).
void PairReader::skip_rest_of_long_line() {
  while (rest_of_line_pending_) {
    if (begin_ == end_ && !fill()) break;
    const char* start = buffer_.data() + begin_;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
    begin_ = newline ? static_cast<size_t>(newline - buffer_.data()) + 1 : end_;
    if (newline) break;
  }
  rest_of_line_pending_ = false;
}

// Reads one RFC 4180 record into `fields`; false at the end of input. Newlines inside quotes are
// part of the field; line_ advances over every physical line the record spans. Throws when the
// input ends inside a quoted field: everything after an unmatched quote would be misread.
// A record longer than the limit is returned as soon as it is known to be too long; the rest of it
// is read past (into a scratch vector, its fields bounded too) when the next record is asked for,
// so an endless record fails the run at once under --on-error fail.
bool PairReader::read_csv_record(std::vector<std::string>& fields, bool& too_long, bool& empty) {
  if (csv_rest_) {
    CsvState state = *csv_rest_;
    csv_rest_.reset();
    std::vector<std::string> scratch;
    bool ignored_long = false, ignored_empty = false;
    scan_csv_record(scratch, ignored_long, ignored_empty, state, csv_rest_line_, false);
  }
  if (peek_byte() < 0) return false;
  const size_t start_line = csv_record_line_ = line_ + 1;
  csv_stray_cr_ = false;
  CsvState state = CsvState::field_start;
  if (!scan_csv_record(fields, too_long, empty, state, start_line, true)) {
    csv_rest_ = state;
    csv_rest_line_ = start_line;
  }
  return true;
}

// Scans (the rest of) a record from `state`; false when it stopped early, with `state` where it
// stopped, because the record grew past the limit and `stop_when_too_long`.
bool PairReader::scan_csv_record(std::vector<std::string>& fields, bool& too_long, bool& empty,
                                 CsvState& state, size_t start_line, bool stop_when_too_long) {
  using State = CsvState;
  const size_t limit = options_.max_line_bytes;
  size_t count = 0;  // fields started
  size_t total = 0;  // record bytes, delimiters included
  too_long = false;
  auto start_field = [&]() -> std::string& {
    if (total > limit && count > 0) return fields[count - 1];  // past the limit: nothing more is kept
    if (count == fields.size()) fields.emplace_back();
    fields[count].clear();
    return fields[count++];
  };
  auto append = [&](std::string& field, char c) {
    if (++total <= limit) {
      field.push_back(c);
    } else {
      too_long = true;
    }
  };
  std::string* field = &start_field();
  for (;;) {
    if (too_long && stop_when_too_long) {
      fields.resize(count);
      return false;
    }
    const int c = next_byte();
    if (c < 0) {
      if (state == State::quoted)
        throw_input_error(start_line, "unterminated quoted field: the quote opened in the record starting on line " +
                                          std::to_string(start_line) + " is never closed");
      ++line_;  // a last line without a newline
      break;
    }
    if (state == State::quoted) {
      if (c == '"') {
        state = State::after_quote;
      } else {
        if (c == '\n') ++line_;
        append(*field, static_cast<char>(c));
      }
      continue;
    }
    if (c == '\n' || (c == '\r' && (peek_byte() == '\n' || peek_byte() < 0))) {
      if (c == '\r' && peek_byte() == '\n') next_byte();
      ++line_;
      break;
    }
    if (c == ',') {
      ++total;
      if (total > limit) too_long = true;
      field = &start_field();
      state = State::field_start;
    } else if (c == '"' && state == State::field_start) {
      ++total;
      state = State::quoted;
    } else if (c == '"' && state == State::after_quote) {
      append(*field, '"');  // "" inside a quoted field
      state = State::quoted;
    } else {
      if (c == '\r') csv_stray_cr_ = true;  // not a line end (checked above): see next_csv
      append(*field, static_cast<char>(c));
      state = State::unquoted;
    }
  }
  fields.resize(count);
  empty = total == 0 && state == State::field_start && count == 1;
  if (total > limit) too_long = true;
  return true;
}

std::vector<std::string> PairReader::field_names() const {
  if (options_.format != PairFormat::jsonl) return header_;
  const auto name_of = [&](const Column& column) {
    if (!column.name.empty()) return column.name;
    return column.index < header_.size() ? header_[column.index] : column.spec;
  };
  std::vector<std::string> names = {name_of(text_a_), name_of(text_b_)};
  if (label_) names.push_back(name_of(*label_));
  if (id_) names.push_back(name_of(*id_));
  return names;
}

void PairReader::read_header() {
  bool too_long = false, empty = false;
  if (options_.format == PairFormat::csv) {
    if (!read_csv_record(header_, too_long, empty)) return;
  } else {
    if (!read_line(too_long)) return;
    refuse_jsonl_as_tsv(1);
    empty = line_text_.empty();
    size_t start = 0;
    for (;;) {
      const size_t tab = line_text_.find('\t', start);
      header_.push_back(line_text_.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
  }
  if (too_long)
    throw_input_error(1, "the header line is longer than " + std::to_string(options_.max_line_bytes) + " bytes");
  if (empty) throw_input_error(1, "the header line is empty");
  for (size_t i = 0; i < header_.size(); ++i) {
    const TextProblem problem = find_text_problem(header_[i]);
    if (problem.offset != std::string_view::npos)
      throw_input_error(1, describe_problem(problem, "column " + std::to_string(i + 1) + " of the header"));
  }
}

// stdin has no name to tell the format by; rows of JSON read as TSV would score the whole object.
void PairReader::refuse_jsonl_as_tsv(size_t line) const {
  if (!options_.format_guessed || !line_text_.starts_with('{')) return;
  if (!nlohmann::json::accept(line_text_)) return;
  throw_input_error(line, "this is a JSON object, but the input is read as TSV; give --format jsonl "
                          "(or name the file .jsonl)");
}

PairReader::Column PairReader::resolve_default(const std::vector<std::string>& names,
                                               const std::string& position, const char* role) {
  if (options_.format == PairFormat::jsonl) {
    Column column;
    column.name = names.front();
    column.alternatives.assign(names.begin() + 1, names.end());
    column.spec = column.name;
    return column;
  }
  if (!options_.header) return resolve(position, role);
  for (const std::string& name : names)
    if (std::find(header_.begin(), header_.end(), name) != header_.end()) return resolve(name, role);
  const size_t index = std::stoul(position) - 1;
  default_columns_notice_ += std::string(default_columns_notice_.empty()
                                             ? "the header names no default column, so by position: "
                                             : ", ") +
                             role + " = column " + position +
                             (index < header_.size() ? " (\"" + header_[index] + "\")" : "");
  return resolve(position, role);
}

PairReader::Column PairReader::resolve(const std::string& spec, const char* role) const {
  Column column;
  column.spec = spec;
  if (all_digits(spec)) {
    size_t index = 0;  // saturates: any huge index is simply out of range for every row
    for (char c : spec) index = std::min<size_t>(index * 10 + static_cast<size_t>(c - '0'), size_t{1} << 40);
    if (index == 0) throw_input_error(0, std::string("column indexes are 1-based; ") + role + " is 0");
    column.index = index - 1;
    return column;
  }
  if (spec.empty()) throw_input_error(0, std::string("the ") + role + " column is empty");
  if (options_.format == PairFormat::jsonl) {
    column.name = spec;
    return column;
  }
  if (!options_.header)
    throw_input_error(0, std::string("the ") + role + " column \"" + spec +
                             "\" is a name, but the file is read without a header line; give a 1-based "
                             "column number or read the first line as a header");
  const auto found = std::find(header_.begin(), header_.end(), spec);
  if (found == header_.end()) {
    std::string available;
    for (const auto& name : header_) available += (available.empty() ? "" : ", ") + ("\"" + name + "\"");
    throw_input_error(1, std::string("no column named \"") + spec + "\" (for " + role + "); " +
                             (header_.empty() ? std::string("the file is empty")
                                              : "the header has " + available));
  }
  column.index = static_cast<size_t>(found - header_.begin());
  // Two columns of that name: taking the first would be a guess about which the user meant.
  if (const auto again = std::find(found + 1, header_.end(), spec); again != header_.end())
    throw_input_error(1, fmt::format("the header names two columns \"{}\" (columns {} and {}), for {}; "
                                     "choose one by its 1-based number",
                                     spec, column.index + 1, again - header_.begin() + 1, role));
  return column;
}

uint64_t PairReader::bytes_read() const { return source_->raw_bytes(); }
uint64_t PairReader::bytes_consumed() const { return source_->consumed_bytes(end_ - begin_); }

bool PairReader::next(PairRow& row) {
  if (pending_) {
    row = std::move(*pending_);
    pending_.reset();
    return true;
  }
  switch (options_.format) {
    case PairFormat::tsv: return next_tsv(row);
    case PairFormat::csv: return next_csv(row);
    case PairFormat::jsonl: return next_jsonl(row);
  }
  return false;
}

namespace {
void reset_row(PairRow& row, size_t line) {
  row.line = line;
  row.text_a.clear();
  row.text_b.clear();
  row.label.reset();
  row.id.reset();
  row.error.clear();
  row.failure = RowFailure::none;
}

void fail(PairRow& row, RowFailure reason, std::string message) {
  row.failure = reason;
  row.error = std::move(message);
}

RowFailure text_failure(const TextProblem& problem) {
  return problem.nul ? RowFailure::nul_byte : RowFailure::invalid_utf8;
}

// Lines end in "\n" or "\r\n" only. A "\r" left inside a line (outside CSV quotes) is most likely
// a file with classic Mac line ends ("\r" alone), which would otherwise read as one giant row (or
// rows glued together): an error row naming where, never a guess at where the rows split.
void fail_carriage_return(PairRow& row, const std::string& where) {
  row.fields.clear();
  fail(row, RowFailure::carriage_return,
       "carriage return (\\r) " + where +
           ": lines must end in \\n or \\r\\n (a file with \\r line ends, as classic Mac OS wrote "
           "them, must be converted first, e.g. tr '\\r' '\\n')");
}
}  // namespace

// Fills the selected columns of a TSV/CSV row from row.fields, or says why it cannot.
void PairReader::select_columns(PairRow& row) const {
  for (size_t i = 0; i < row.fields.size(); ++i) {
    const TextProblem problem = find_text_problem(row.fields[i]);
    if (problem.offset != std::string_view::npos) {
      fail(row, text_failure(problem), describe_problem(problem, "column " + std::to_string(i + 1)));
      return;
    }
  }
  if (row.fields.size() < min_columns_) {
    fail(row, RowFailure::column_count,
         "expected at least " + std::to_string(min_columns_) + " columns, found " + std::to_string(row.fields.size()));
    return;
  }
  row.text_a = row.fields[text_a_.index];
  row.text_b = row.fields[text_b_.index];
  if (label_) row.label = row.fields[label_->index];
  if (id_) row.id = row.fields[id_->index];
}

bool PairReader::stray_carriage_return(PairRow& row) const {
  const size_t at = line_text_.find('\r');
  if (at == std::string::npos) return false;
  fail_carriage_return(row, "at byte " + std::to_string(at + 1) + " inside the line");
  return true;
}

bool PairReader::next_tsv(PairRow& row) {
  bool too_long = false;
  if (!read_line(too_long)) return false;
  reset_row(row, line_);
  if (too_long) {
    row.fields.clear();
    fail(row, RowFailure::line_too_long, "line is longer than " + std::to_string(options_.max_line_bytes) + " bytes");
    return true;
  }
  if (line_text_.empty()) {
    row.fields.clear();
    fail(row, RowFailure::empty_line, "empty line");
    return true;
  }
  if (stray_carriage_return(row)) return true;
  if (!tsv_first_row_done_) {
    tsv_first_row_done_ = true;
    refuse_jsonl_as_tsv(line_);
  }
  size_t count = 0, start = 0;
  for (;;) {
    const auto* begin = line_text_.data() + start;
    const auto* tab = static_cast<const char*>(std::memchr(begin, '\t', line_text_.size() - start));
    const size_t length = tab ? static_cast<size_t>(tab - begin) : line_text_.size() - start;
    if (count == row.fields.size()) row.fields.emplace_back();
    row.fields[count++].assign(begin, length);
    if (!tab) break;
    start += length + 1;
  }
  row.fields.resize(count);
  select_columns(row);
  return true;
}

bool PairReader::next_csv(PairRow& row) {
  bool too_long = false, empty = false;
  if (!read_csv_record(row.fields, too_long, empty)) return false;
  reset_row(row, csv_record_line_);
  if (too_long || empty) {
    row.fields.clear();
    if (too_long)
      fail(row, RowFailure::line_too_long, "record is longer than " + std::to_string(options_.max_line_bytes) + " bytes");
    else
      fail(row, RowFailure::empty_line, "empty line");
    return true;
  }
  if (csv_stray_cr_) {
    fail_carriage_return(row, "outside quotes inside the record");
    return true;
  }
  select_columns(row);
  return true;
}

bool PairReader::next_jsonl(PairRow& row) {
  bool too_long = false;
  if (!read_line(too_long)) return false;
  const bool first_line = !jsonl_first_line_done_;
  jsonl_first_line_done_ = true;
  reset_row(row, line_);
  row.fields.clear();
  if (too_long) {
    fail(row, RowFailure::line_too_long, "line is longer than " + std::to_string(options_.max_line_bytes) + " bytes");
    return true;
  }
  if (line_text_.find_first_not_of(" \t") == std::string::npos) {
    fail(row, RowFailure::empty_line, "empty line");
    return true;
  }
  if (stray_carriage_return(row)) return true;
  const TextProblem problem = find_text_problem(line_text_);
  if (problem.offset != std::string_view::npos) {
    fail(row, text_failure(problem), describe_problem(problem, "the line"));
    return true;
  }
  nlohmann::ordered_json object;
  try {
    object = nlohmann::ordered_json::parse(line_text_);
  } catch (const nlohmann::ordered_json::exception& error) {
    // Not only parse_error: a number too large for a double throws out_of_range.406 (found by
    // tests/fuzz/pair_reader_fuzz.cc). Drop the "[json.exception.parse_error.101] " prefix: the
    // reader only needs the reason.
    std::string_view message = error.what();
    if (const size_t end = message.find("] "); end != std::string_view::npos) message.remove_prefix(end + 2);
    fail(row, RowFailure::invalid_json, "invalid JSON: " + std::string(message));
    return true;
  }
  if (!object.is_object()) {
    fail(row, RowFailure::invalid_json, std::string("expected a JSON object, found ") + object.type_name());
    return true;
  }
  if (first_line)
    for (const auto& item : object.items()) header_.push_back(item.key());

  auto take = [&](const Column& column, std::string& out) {
    const nlohmann::ordered_json* value = nullptr;
    if (column.name.empty()) {
      if (column.index >= object.size()) {
        fail(row, RowFailure::column_count,
             "expected at least " + std::to_string(column.index + 1) + " keys, found " + std::to_string(object.size()));
        return false;
      }
      value = &std::next(object.begin(), static_cast<std::ptrdiff_t>(column.index)).value();
    } else {
      auto found = object.find(column.name);
      for (const std::string& alternative : column.alternatives)
        if (found == object.end()) found = object.find(alternative);
      if (found == object.end()) {
        fail(row, RowFailure::column_count, "missing key \"" + column.name + "\"");
        for (size_t i = 0; i < column.alternatives.size(); ++i)
          row.error += (i ? ", \"" : " (nor \"") + column.alternatives[i] + "\"" +
                       (i + 1 == column.alternatives.size() ? ")" : "");
        std::string keys;
        for (const auto& item : object.items()) keys += (keys.empty() ? "\"" : ", \"") + item.key() + "\"";
        row.error += keys.empty() ? "; the object is empty" : "; the line has " + keys;
        return false;
      }
      value = &found.value();
    }
    std::string problem_text;
    // A text is a JSON string: `true` or 3.5 where a sentence belongs is a broken line, not the
    // sentence "1" or "3.5". Labels and ids may be numbers (and labels booleans).
    const bool text = &column == &text_a_ || &column == &text_b_;
    if (text && !value->is_string()) {
      fail(row, RowFailure::other,
           "column \"" + column.spec + "\" is " + value->type_name() + ", expected a string (a text)");
      return false;
    }
    if (!json_value_text(*value, out, problem_text)) {
      // Not text where text (or a label) was asked for.
      fail(row, label_ && &column == &*label_ ? RowFailure::bad_label : RowFailure::other,
           "column \"" + column.spec + "\" " + problem_text);
      return false;
    }
    if (out.find('\0') != std::string::npos) {
      fail(row, RowFailure::nul_byte, "NUL character in column \"" + column.spec + "\"");
      return false;
    }
    row.fields.push_back(out);
    return true;
  };
  if (!take(text_a_, row.text_a) || !take(text_b_, row.text_b)) return true;
  if (label_ && !take(*label_, row.label.emplace())) {
    row.label.reset();
    return true;
  }
  if (id_ && !take(*id_, row.id.emplace())) {
    row.id.reset();
    return true;
  }
  return true;
}

}  // namespace simscore::io
