#include "cli/progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "cli/console.h"

namespace simscore::cli {

Progress::Progress(bool enabled, std::optional<uint64_t> total_bytes)
    : enabled_(enabled), total_bytes_(total_bytes), start_(std::chrono::steady_clock::now()), last_(start_) {}

void Progress::update(size_t rows, uint64_t bytes_read) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(250)) return;
  last_ = now;
  drawn_ = true;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? rows / elapsed : 0;
  std::string line = fmt::format("{} rows, {:.0f} rows/s", rows, rate);
  if (total_bytes_ && *total_bytes_ > 0) {
    const double done = std::min(1.0, static_cast<double>(bytes_read) / *total_bytes_);
    const int width = 30;
    const int filled = static_cast<int>(done * width);
    const double eta = done > 0 ? elapsed * (1 - done) / done : 0;
    line = fmt::format("[{}{}] {:3.0f}%  {}, ETA {:.0f} s", std::string(filled, '#'),
                       std::string(width - filled, ' '), done * 100, line, eta);
  }
  print_error("\r{}\x1b[K", line);
}

void Progress::finish() {
  if (enabled_ && drawn_) print_error("\r\x1b[K");
}

}  // namespace simscore::cli
