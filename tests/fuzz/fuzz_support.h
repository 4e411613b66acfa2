#pragma once
// What every libFuzzer target here shares: a private scratch folder for the files the readers open
// (they take paths, not buffers), and where the shared tokenizers live. A target lets the documented
// error types (core/errors.h) pass as correct rejections; any other exception escapes, and libFuzzer
// reports it as a crash, because it breaks the contract that errors cross boundaries as those types.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace simscore::fuzz {

// A folder of this process's own (fuzzers may run side by side), removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/simscore-fuzz-XXXXXX";
    if (!::mkdtemp(pattern.data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    static const std::string kept = pattern;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(kept, ignored);
    });
    return std::filesystem::path(pattern);
  }();
  return dir;
}

inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) {
    std::perror(path.c_str());
    std::abort();
  }
}

// ../shared beside the checkout, or $SIMSCORE_SHARED.
inline std::filesystem::path shared_dir() {
  const char* value = std::getenv("SIMSCORE_SHARED");
  return value && *value ? std::filesystem::path(value) : std::filesystem::path(SIMSCORE_SHARED_DIR);
}

// Stops the run with a message naming the broken invariant; libFuzzer saves the input.
#define SIMSCORE_FUZZ_CHECK(condition)                                                             \
  do {                                                                                             \
    if (!(condition)) {                                                                            \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition);        \
      std::abort();                                                                                \
    }                                                                                              \
  } while (0)

}  // namespace simscore::fuzz
