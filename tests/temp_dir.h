#pragma once
// A directory of one test's own. ::testing::TempDir() is one folder (/tmp/) shared by every test
// process that ctest -j starts at once, so a fixed name under it is written by two tests at the
// same time (StructBert.InspectDescribesTheCheckpoint failed that way). mkdtemp names are unique
// across processes; the directory is removed with what it holds when the object goes.

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace simscore::testing {

class OwnTempDir {
 public:
  explicit OwnTempDir(const std::string& tag = "test") {
    std::string pattern = (std::filesystem::temp_directory_path() / ("simscore-" + tag + "-XXXXXX")).string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp " + pattern + " failed");
    path_ = pattern;
  }
  ~OwnTempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  OwnTempDir(const OwnTempDir&) = delete;
  OwnTempDir& operator=(const OwnTempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace simscore::testing
