#include "cli/progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "cli/console.h"

namespace simscore::cli {

Progress::Progress(bool enabled, std::optional<uint64_t> total_bytes)
    : enabled_(enabled), total_bytes_(total_bytes), start_(std::chrono::steady_clock::now()), last_(start_) {}

void Progress::start_window(size_t rows_before, size_t rows, uint64_t bytes_before, uint64_t bytes_after) {
  rows_before_ = rows_before;
  window_rows_ = rows;
  bytes_before_ = bytes_before;
  bytes_after_ = std::max(bytes_before, bytes_after);
}

void Progress::update(double fraction) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(250)) return;
  last_ = now;
  drawn_ = true;
  fraction = std::clamp(fraction, 0.0, 1.0);
  const double rows = static_cast<double>(rows_before_) + fraction * static_cast<double>(window_rows_);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? rows / elapsed : 0;
  std::string line = fmt::format("{:.0f} rows, {:.0f} rows/s", rows, rate);
  if (total_bytes_ && *total_bytes_ > 0) {
    const double bytes = static_cast<double>(bytes_before_) +
                         fraction * static_cast<double>(bytes_after_ - bytes_before_);
    const double done = std::min(1.0, bytes / static_cast<double>(*total_bytes_));
    const int width = 30;
    const int filled = static_cast<int>(done * width);
    const std::string eta = done > 0 ? fmt::format("{:.0f} s", elapsed * (1 - done) / done) : "?";
    line = fmt::format("[{}{}] {:3.0f}%  {}, ETA {}", std::string(filled, '#'),
                       std::string(width - filled, ' '), done * 100, line, eta);
  }
  print_error("\r{}\x1b[K", line);
}

void Progress::finish() {
  if (enabled_ && drawn_) print_error("\r\x1b[K");
}

}  // namespace simscore::cli
