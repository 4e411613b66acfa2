#pragma once
// Progress on stderr while a run goes: rows done, rows/s and, when the input's size is known, a bar
// and an ETA. Only when stderr is a terminal; never in pipelines, logs or --quiet runs.
//
// A window's rows are read before any is scored, so the input position alone jumps a window at a
// time. Inside a window the encoder's batches move it on: the window's share of the input is
// credited in proportion to the encoder inputs done, and the line is redrawn at most four times a
// second, at every batch.

#include <chrono>
#include <cstdint>
#include <optional>

namespace simscore::cli {

class Progress {
 public:
  Progress(bool enabled, std::optional<uint64_t> total_bytes);
  // A window of `rows` rows follows `rows_before` rows; reading it took the input from
  // `bytes_before` to `bytes_after` (bytes consumed by parsed rows).
  void start_window(size_t rows_before, size_t rows, uint64_t bytes_before, uint64_t bytes_after);
  // `fraction` (0..1) of the current window is scored.
  void update(double fraction);
  void finish();

 private:
  bool enabled_;
  std::optional<uint64_t> total_bytes_;
  std::chrono::steady_clock::time_point start_, last_;
  bool drawn_ = false;
  size_t rows_before_ = 0, window_rows_ = 0;
  uint64_t bytes_before_ = 0, bytes_after_ = 0;
};

}  // namespace simscore::cli
