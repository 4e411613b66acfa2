#pragma once
// Where results go: stdout, or a file that is written under a temporary name and renamed into place
// only when the run completes, so an interrupted run never leaves a file that looks complete.

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace simscore::io {

// The reader of our output went away (a closed pipe, e.g. `simscore score ... | head`): like other
// Unix filters, the run ends quietly.
class BrokenPipe : public std::runtime_error {
 public:
  BrokenPipe() : std::runtime_error("broken pipe") {}
};

class OutputFile {
 public:
  // "-" or empty is stdout. Throws std::system_error naming the path when it cannot be created.
  // With `resume`, an existing PATH.partial is kept: its last incomplete line (if any) is cut off
  // and writing appends after its complete lines (see resumed_lines()).
  explicit OutputFile(const std::string& path, bool resume = false);
  ~OutputFile();  // without commit() or keep_partial(): the temporary file is removed
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Throws std::system_error (with the path) on a write error such as a full disk.
  void write(std::string_view text);
  // Flushes what is complete so far (rows reach a pipe as soon as their window is done).
  void flush();
  // Flushes, syncs and renames the temporary file into place.
  void commit();
  // Flushes and syncs what was written and leaves it as PATH.partial for a later --resume.
  void keep_partial();

  const std::string& display_name() const { return display_name_; }
  bool is_file() const { return stream_ != stdout; }
  // Complete lines already in PATH.partial when opened with `resume`.
  size_t resumed_lines() const { return resumed_lines_; }
  // Resuming: drops what follows the first `lines` lines (before anything new is written).
  void keep_first_lines(size_t lines);

 private:
  void fail(const char* what) const;

  std::FILE* stream_ = nullptr;
  std::filesystem::path final_path_;
  std::filesystem::path temp_path_;
  std::string display_name_;
  bool committed_ = false;
  bool kept_ = false;
  size_t resumed_lines_ = 0;
};

}  // namespace simscore::io
