#pragma once
// Progress on stderr while a run goes: rows done, rows/s and, when the input's size is known, a bar
// and an ETA. Only when stderr is a terminal; never in pipelines, logs or --quiet runs.

#include <chrono>
#include <cstdint>
#include <optional>

namespace simscore::cli {

class Progress {
 public:
  Progress(bool enabled, std::optional<uint64_t> total_bytes);
  void update(size_t rows, uint64_t bytes_read);
  void finish();

 private:
  bool enabled_;
  std::optional<uint64_t> total_bytes_;
  std::chrono::steady_clock::time_point start_, last_;
  bool drawn_ = false;
};

}  // namespace simscore::cli
