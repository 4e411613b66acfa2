#include "io/output_file.h"

#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace simscore::io {

namespace {

// Cuts `path` after its last complete line, and after `max_lines` lines at most; returns the
// number of lines kept.
size_t keep_complete_lines(const std::filesystem::path& path, size_t max_lines = SIZE_MAX) {
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (!in) throw std::system_error(errno, std::generic_category(), "cannot open " + path.string());
  size_t lines = 0;
  uint64_t bytes = 0, complete = 0;
  char buffer[1 << 16];
  for (size_t n; lines < max_lines && (n = std::fread(buffer, 1, sizeof buffer, in)) > 0;)
    for (size_t i = 0; i < n && lines < max_lines; ++i)
      if (++bytes, buffer[i] == '\n') ++lines, complete = bytes;
  std::fclose(in);
  std::filesystem::resize_file(path, complete);
  return lines;
}

}  // namespace

OutputFile::OutputFile(const std::string& path, bool resume) {
  if (path.empty() || path == "-") {
    stream_ = stdout;
    display_name_ = "<stdout>";
    return;
  }
  final_path_ = path;
  temp_path_ = final_path_;
  temp_path_ += ".partial";
  display_name_ = path;
  if (resume && std::filesystem::exists(temp_path_)) resumed_lines_ = keep_complete_lines(temp_path_);
  stream_ = std::fopen(temp_path_.c_str(), resume ? "ab" : "wb");
  if (!stream_)
    throw std::system_error(errno, std::generic_category(), "cannot create " + temp_path_.string());
}

OutputFile::~OutputFile() {
  if (stream_ == stdout) return;
  if (stream_) std::fclose(stream_);
  std::error_code ignored;
  if (!committed_ && !kept_) std::filesystem::remove(temp_path_, ignored);
}

void OutputFile::fail(const char* what) const {
  if (errno == EPIPE) throw BrokenPipe();
  throw std::system_error(errno, std::generic_category(),
                          std::string(what) + " " + (temp_path_.empty() ? display_name_ : temp_path_.string()));
}

void OutputFile::write(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), stream_) != text.size()) fail("cannot write");
}

void OutputFile::flush() {
  if (std::fflush(stream_) != 0) fail("cannot write");
}

void OutputFile::keep_first_lines(size_t lines) {
  if (lines >= resumed_lines_) return;
  flush();
  resumed_lines_ = keep_complete_lines(temp_path_, lines);
}

void OutputFile::keep_partial() {
  flush();
  if (stream_ == stdout) return;
  if (::fsync(fileno(stream_)) != 0) fail("cannot sync");
  kept_ = true;
}

void OutputFile::commit() {
  flush();
  if (stream_ == stdout) return;
  if (::fsync(fileno(stream_)) != 0) fail("cannot sync");
  if (std::fclose(stream_) != 0) {
    stream_ = nullptr;
    fail("cannot close");
  }
  stream_ = nullptr;
  std::error_code error;
  std::filesystem::rename(temp_path_, final_path_, error);
  if (error) {
    std::filesystem::remove(temp_path_);
    throw std::system_error(error, "cannot rename " + temp_path_.string() + " to " + display_name_);
  }
  committed_ = true;
}

}  // namespace simscore::io
