#pragma once
// Messages on stderr. A failed write to stderr (closed, a full disk, a pipe nobody reads) must not
// change what the run does: the message is dropped and the run goes on, so rows are never lost
// because a diagnostic could not be shown.

#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <utility>

namespace simscore::cli {

template <typename... Args>
void print_error(fmt::format_string<Args...> format, Args&&... args) {
  const std::string text = fmt::format(format, std::forward<Args>(args)...);
  if (std::fwrite(text.data(), 1, text.size(), stderr) != text.size() || std::fflush(stderr) != 0)
    std::clearerr(stderr);
}

// At exit: whatever stdout still buffers is flushed, and a failed write (a full disk) is an error,
// never a silent exit 0. Returns the exit code to use.
int finish_stdout(int code);

}  // namespace simscore::cli
