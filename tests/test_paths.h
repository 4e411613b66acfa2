#pragma once
// Where tests find the shared data (../shared) and the reference fixtures written by
// tests/reference/*.py. Both can be overridden with SIMSCORE_SHARED / SIMSCORE_FIXTURES; a test that
// needs one that is absent is skipped with a message saying what to run.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace simscore::testing {

inline std::filesystem::path env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}
inline std::filesystem::path shared_dir() { return env_or("SIMSCORE_SHARED", SIMSCORE_SHARED_DIR); }
inline std::filesystem::path fixtures_dir() { return env_or("SIMSCORE_FIXTURES", SIMSCORE_FIXTURES_DIR); }
inline std::filesystem::path source_dir() { return SIMSCORE_SOURCE_DIR; }
inline std::filesystem::path simscore_binary() { return SIMSCORE_BINARY; }

}  // namespace simscore::testing

// Skips the current test unless `path` exists.
#define SIMSCORE_REQUIRE_PATH(path, what_to_run)                                                   \
  do {                                                                                             \
    if (!std::filesystem::exists(path))                                                            \
      GTEST_SKIP() << (path).string() << " is absent; " << (what_to_run);                          \
  } while (0)
#define SIMSCORE_REQUIRE_SHARED(relative)                                                          \
  SIMSCORE_REQUIRE_PATH(::simscore::testing::shared_dir() / (relative),                           \
                        "the shared data folder is not beside this checkout")
// Fixtures are written by the test command itself (scripts/test.sh), which sets
// SIMSCORE_REQUIRE_FIXTURES=1: there a missing fixture is a failure, not a skip.
#define SIMSCORE_REQUIRE_FIXTURE(relative)                                                         \
  do {                                                                                             \
    const auto fixture_path = ::simscore::testing::fixtures_dir() / (relative);                    \
    if (!std::filesystem::exists(fixture_path)) {                                                  \
      if (std::getenv("SIMSCORE_REQUIRE_FIXTURES"))                                                \
        FAIL() << fixture_path.string() << " is missing: tests/reference did not write it";        \
      GTEST_SKIP() << fixture_path.string()                                                        \
                   << " is absent; run tests/reference/make_fixtures.sh to write the fixtures";    \
    }                                                                                              \
  } while (0)
