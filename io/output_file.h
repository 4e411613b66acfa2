#pragma once
// Where results go: stdout, or a file that is written under a temporary name and renamed into place
// only when the run completes, so an interrupted run never leaves a file that looks complete.
// What is not ours to replace is never replaced: a device, a FIFO or /dev/fd/N is written through;
// a symlink is followed and its target replaced; a second run onto the same file is refused (an
// advisory lock on FILE.partial) instead of writing into the first run's file.

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
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

// What is on disk forbids the write asked for: a --resume whose FILE.partial was written by
// another input or other options, or holds what we did not write; a side file that is a link.
class OutputRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The file writing `path` creates or replaces: its symlinks followed (a link's target is replaced,
// never the link), also when the last target does not exist yet.
std::filesystem::path output_target(const std::string& path);
// /dev/stdout, /dev/fd/N, /proc/self/fd/N and the like: names of an open descriptor, written through.
bool names_a_descriptor(const std::string& path);

// Resuming: why a complete line of FILE.partial cannot be one we wrote ("" when it can).
using LineCheck = std::function<std::string(std::string_view line)>;

class OutputFile {
 public:
  // "-" or empty is stdout. Throws std::system_error naming the path when it cannot be created, or
  // when another run is writing the same file.
  // With `resume`, an existing PATH.partial is kept: its last incomplete line (if any) is cut off
  // and writing appends after its complete lines (see resumed_lines()).
  // `fingerprint` (one "key: value" per line) describes the input and the options that change the
  // output; it is kept beside PATH.partial (as PATH.partial.fingerprint) so that a resume with
  // another input or other options is refused, naming what differs.
  // `line_problem` (resuming) checks every complete line kept: a hand-edited FILE.partial is refused.
  // FILE.partial and its fingerprint are ours alone: created anew (O_EXCL, O_NOFOLLOW), so a link
  // planted under either name is removed, never written through. A replaced file keeps its mode.
  explicit OutputFile(const std::string& path, bool resume = false, const std::string& fingerprint = "",
                      const LineCheck& line_problem = {});
  // True when `path` would be written as PATH.partial and renamed (a regular file or a new name),
  // false for stdout, devices, FIFOs and descriptors, which are written in place.
  static bool replaced_atomically(const std::string& path);
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
  // Written under a temporary name (a regular file), so an interrupted run leaves PATH.partial.
  bool is_file() const { return !temp_path_.empty(); }
  // Complete lines already in PATH.partial when opened with `resume`.
  size_t resumed_lines() const { return resumed_lines_; }
  // Resuming: drops what follows the first `lines` lines (before anything new is written).
  void keep_first_lines(size_t lines);

 private:
  void open_through(const std::filesystem::path& target);
  void open_partial(bool resume, const std::string& fingerprint, const LineCheck& line_problem);
  int open_own_partial(bool resume);
  void check_fingerprint(const std::string& fingerprint) const;
  void write_fingerprint(const std::string& fingerprint) const;
  void fail(const char* what) const;
  [[noreturn]] void throw_busy() const;
  void remove_stale(const std::filesystem::path& path) const;

  std::FILE* stream_ = nullptr;
  std::filesystem::path final_path_;
  std::filesystem::path temp_path_;        // empty: written in place (stdout, a device, a FIFO)
  std::filesystem::path fingerprint_path_;
  std::string display_name_;
  bool committed_ = false;
  bool kept_ = false;
  size_t resumed_lines_ = 0;
};

}  // namespace simscore::io
