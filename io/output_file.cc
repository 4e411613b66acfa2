#include "io/output_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "core/errors.h"

namespace simscore::io {

namespace fs = std::filesystem;

bool names_a_descriptor(const std::string& path) {
  return path.starts_with("/dev/") || path.starts_with("/proc/");
}

namespace {

[[noreturn]] void throw_errno(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

// Cuts `path` after its last complete line, and after `max_lines` lines at most; returns the
// number of lines kept.
size_t keep_complete_lines(const fs::path& path, size_t max_lines = SIZE_MAX) {
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (!in) throw_errno(errno, "cannot open " + path.string());
  size_t lines = 0;
  uint64_t bytes = 0, complete = 0;
  char buffer[1 << 16];
  for (size_t n; lines < max_lines && (n = std::fread(buffer, 1, sizeof buffer, in)) > 0;)
    for (size_t i = 0; i < n && lines < max_lines; ++i)
      if (++bytes, buffer[i] == '\n') ++lines, complete = bytes;
  std::fclose(in);
  fs::resize_file(path, complete);
  return lines;
}

// `path` with its symlinks followed (at most 40, as the kernel does), also when the last target
// does not exist yet: writing replaces the target, never the link.
fs::path follow_links(const fs::path& path) {
  fs::path current = path;
  for (int depth = 0; depth < 40; ++depth) {
    std::error_code error;
    // /proc/self/fd/N reads as "pipe:[...]": a descriptor, opened through its name, never followed.
    if (names_a_descriptor(current.string()) || !fs::is_symlink(current, error)) return current;
    const fs::path target = fs::read_symlink(current, error);
    if (error) throw_errno(error.value(), "cannot read the link " + current.string());
    current = target.is_absolute() ? target : current.parent_path() / target;
  }
  throw_errno(ELOOP, "cannot follow " + path.string());
}

// A side file of ours, read without following a link planted under its name.
std::string read_own_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ELOOP)
    throw OutputRefused("cannot resume: " + path.string() + " is a symbolic link, not a file simscore wrote");
  if (fd < 0) throw_errno(errno, "cannot read " + path.string());
  std::string text;
  char buffer[1 << 12];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  return text;
}

// The first complete line of `path` that `problem` rejects, as "line N: why"; "" when none.
std::string first_bad_line(const fs::path& path, const LineCheck& problem) {
  std::ifstream in(path, std::ios::binary);
  size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (in.eof()) break;  // the incomplete last line is cut off anyway
    if (std::string why = problem(line); !why.empty()) return "line " + std::to_string(number) + ": " + why;
  }
  return "";
}

// "key: value" lines of `expected` whose value differs in `found`, one per line.
std::string fingerprint_differences(const std::string& found, const std::string& expected) {
  const auto parse = [](const std::string& text) {
    std::vector<std::pair<std::string, std::string>> entries;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
      if (const size_t colon = line.find(": "); colon != std::string::npos)
        entries.emplace_back(line.substr(0, colon), line.substr(colon + 2));
    return entries;
  };
  const auto before = parse(found);
  std::string differences;
  for (const auto& [key, value] : parse(expected)) {
    std::string old = "(absent)";
    for (const auto& [k, v] : before)
      if (k == key) old = v;
    if (old != value) differences += "\n  " + key + ": " + old + " then, " + value + " now";
  }
  return differences;
}

}  // namespace

fs::path output_target(const std::string& path) { return follow_links(path); }

bool OutputFile::replaced_atomically(const std::string& path) {
  if (path.empty() || path == "-") return false;
  const fs::path target = follow_links(path);
  struct stat info;
  return !names_a_descriptor(target.string()) && (::stat(target.c_str(), &info) != 0 || S_ISREG(info.st_mode));
}

OutputFile::OutputFile(const std::string& path, bool resume, const std::string& fingerprint,
                       const LineCheck& line_problem) {
  if (path.empty() || path == "-") {
    stream_ = stdout;
    display_name_ = "<stdout>";
    return;
  }
  display_name_ = path;
  final_path_ = follow_links(path);
  if (names_a_descriptor(final_path_.string())) {
    open_through(final_path_);
    return;
  }
  struct stat info;
  if (::stat(final_path_.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) throw_errno(EISDIR, "cannot write " + path);
    if (!S_ISREG(info.st_mode)) {
      open_through(final_path_);
      return;
    }
  }
  open_partial(resume, fingerprint, line_problem);
}

// Devices, FIFOs and descriptors are not ours to replace: written in place, as a shell's `>` would
// (a regular file reached through /dev/stdout is appended to, so `>>` keeps what it held).
void OutputFile::open_through(const fs::path& target) {
  struct stat info;
  const bool regular = ::stat(target.c_str(), &info) == 0 && S_ISREG(info.st_mode);
  const int fd = ::open(target.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY | (regular ? O_APPEND : 0));
  // A FIFO's open waits for a reader; SIGINT/SIGTERM (handled without SA_RESTART) end the wait.
  if (fd < 0 && errno == EINTR) throw Interrupted();
  if (fd < 0) throw_errno(errno, "cannot open " + display_name_);
  stream_ = ::fdopen(fd, regular ? "a" : "w");
  if (!stream_) {
    ::close(fd);
    throw_errno(errno, "cannot open " + display_name_);
  }
}

// FILE.partial, locked for the whole run: a second run onto FILE refuses instead of truncating or
// interleaving with the first. The lock is taken on the file the name holds *after* locking, so a
// run that opened the name just before the first run renamed it does not lock the renamed file.
// A fresh run creates the name anew (O_EXCL): what an earlier run left there, or a link planted
// there, loses its name and is never written through. A replaced FILE's mode (e.g. 0600) is kept.
int OutputFile::open_own_partial(bool resume) {
  struct stat old;
  const bool replacing = ::stat(final_path_.c_str(), &old) == 0 && S_ISREG(old.st_mode);
  for (;;) {
    int fd = -1;
    if (resume) {
      fd = ::open(temp_path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
      if (fd < 0 && errno == ELOOP)
        throw OutputRefused("cannot resume " + temp_path_.string() + ": it is a symbolic link, not a file simscore wrote");
      if (fd < 0 && errno != ENOENT) throw_errno(errno, "cannot open " + temp_path_.string());
      struct stat info;
      if (fd >= 0 && ::fstat(fd, &info) == 0 && (!S_ISREG(info.st_mode) || info.st_nlink != 1)) {
        ::close(fd);
        throw OutputRefused("cannot resume " + temp_path_.string() +
                            (S_ISREG(info.st_mode) ? ": it has other names (a hard link), so it is not a file simscore wrote"
                                                   : ": it is not a regular file"));
      }
    }
    if (fd < 0) {
      fd = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0666);
      if (fd < 0 && errno == EEXIST) {
        remove_stale(temp_path_);
        continue;
      }
      if (fd < 0) throw_errno(errno, "cannot create " + temp_path_.string());
      if (replacing && ::fchmod(fd, old.st_mode & 07777) != 0) throw_errno(errno, "cannot set the mode of " + temp_path_.string());
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      ::close(fd);
      if (error == EWOULDBLOCK) throw_busy();
      throw_errno(error, "cannot lock " + temp_path_.string());
    }
    struct stat opened, named;
    if (::fstat(fd, &opened) == 0 && ::lstat(temp_path_.c_str(), &named) == 0 &&
        opened.st_dev == named.st_dev && opened.st_ino == named.st_ino)
      return fd;
    ::close(fd);  // renamed away by the run that held it: take the new name's file
  }
}

void OutputFile::open_partial(bool resume, const std::string& fingerprint, const LineCheck& line_problem) {
  temp_path_ = final_path_;
  temp_path_ += ".partial";
  fingerprint_path_ = temp_path_;
  fingerprint_path_ += ".fingerprint";
  const int fd = open_own_partial(resume);
  stream_ = ::fdopen(fd, "a");
  if (!stream_) {
    ::close(fd);
    throw_errno(errno, "cannot open " + temp_path_.string());
  }
  struct stat info;
  const bool has_rows = ::fstat(fd, &info) == 0 && info.st_size > 0;
  if (resume && has_rows) {
    if (!fingerprint.empty()) check_fingerprint(fingerprint);
    if (line_problem)
      if (const std::string bad = first_bad_line(temp_path_, line_problem); !bad.empty())
        throw OutputRefused("cannot resume " + temp_path_.string() + ": " + bad +
                            ": not a line simscore wrote; run without --resume to start over");
    resumed_lines_ = keep_complete_lines(temp_path_);
    return;
  }
  if (::ftruncate(fd, 0) != 0) fail("cannot truncate");
  if (!fingerprint.empty()) write_fingerprint(fingerprint);
}

void OutputFile::check_fingerprint(const std::string& fingerprint) const {
  struct stat info;
  if (::lstat(fingerprint_path_.c_str(), &info) != 0)
    throw OutputRefused("cannot resume " + temp_path_.string() + ": " + fingerprint_path_.string() +
                        " (what input and options wrote it) is missing, so it cannot be checked; run "
                        "without --resume to start over");
  const std::string differences = fingerprint_differences(read_own_file(fingerprint_path_), fingerprint);
  if (!differences.empty())
    throw OutputRefused("cannot resume " + temp_path_.string() + ": it was written with another input or "
                        "other options:" + differences + "\nrun without --resume to start over");
}

// Under a fresh name: a link planted as FILE.partial.fingerprint loses its name, its target is untouched.
void OutputFile::write_fingerprint(const std::string& fingerprint) const {
  if (::unlink(fingerprint_path_.c_str()) != 0 && errno != ENOENT)
    throw_errno(errno, "cannot replace " + fingerprint_path_.string());
  const int fd = ::open(fingerprint_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) throw_errno(errno, "cannot create " + fingerprint_path_.string());
  const bool written = ::write(fd, fingerprint.data(), fingerprint.size()) == static_cast<ssize_t>(fingerprint.size());
  const int error = errno;
  ::close(fd);
  if (!written) throw_errno(error, "cannot write " + fingerprint_path_.string());
}

void OutputFile::throw_busy() const {
  throw_errno(EBUSY, "another run is writing " + display_name_ + " (" + temp_path_.string() +
                         " is locked); refusing to write it too");
}

// What holds the name FILE.partial before a fresh run: a link is unlinked (its target untouched);
// a file is unlinked once its lock shows no run is writing it.
void OutputFile::remove_stale(const fs::path& path) const {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0 && errno != ELOOP && errno != ENOENT) throw_errno(errno, "cannot replace " + path.string());
  if (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) throw_busy();
    throw_errno(error, "cannot lock " + path.string());
  }
  const bool removed = ::unlink(path.c_str()) == 0 || errno == ENOENT;
  const int error = errno;
  if (fd >= 0) ::close(fd);
  if (!removed) throw_errno(error, "cannot replace " + path.string());
}

OutputFile::~OutputFile() {
  if (stream_ == stdout) return;
  if (stream_) std::fclose(stream_);
  std::error_code ignored;
  if (!temp_path_.empty() && !committed_ && !kept_) {
    fs::remove(temp_path_, ignored);
    fs::remove(fingerprint_path_, ignored);
  }
}

void OutputFile::fail(const char* what) const {
  if (errno == EPIPE) throw BrokenPipe();
  if (errno == EINTR) throw Interrupted();  // a write waiting on a full FIFO, ended by SIGINT/SIGTERM
  throw_errno(errno, std::string(what) + " " + (temp_path_.empty() ? display_name_ : temp_path_.string()));
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
  if (temp_path_.empty()) return;
  if (::fsync(fileno(stream_)) != 0) fail("cannot sync");
  kept_ = true;
}

void OutputFile::commit() {
  flush();
  if (stream_ == stdout) return;
  // fsync fails with EINVAL on a FIFO or a character device: nothing there to make durable.
  if (::fsync(fileno(stream_)) != 0 && errno != EINVAL) fail("cannot sync");
  if (temp_path_.empty()) {
    const int closed = std::fclose(stream_);
    stream_ = nullptr;
    if (closed != 0) fail("cannot close");
    committed_ = true;
    return;
  }
  // Renamed while the lock is held (it stays with the file, now FILE, until it is closed).
  std::error_code error;
  fs::rename(temp_path_, final_path_, error);
  if (error) {
    fs::remove(temp_path_);
    throw std::system_error(error, "cannot rename " + temp_path_.string() + " to " + display_name_);
  }
  committed_ = true;
  fs::remove(fingerprint_path_, error);
  const int closed = std::fclose(stream_);
  stream_ = nullptr;
  if (closed != 0) fail("cannot close");
}

}  // namespace simscore::io
