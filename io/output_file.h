#pragma once
// Where results go: stdout, or a file that is written under a temporary name and renamed into place
// only when the run completes, so an interrupted run never leaves a file that looks complete.

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

namespace simscore::io {

class OutputFile {
 public:
  // "-" or empty is stdout. Throws std::runtime_error naming the path when it cannot be created.
  explicit OutputFile(const std::string& path);
  ~OutputFile();  // without commit(): the temporary file is removed
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Throws std::system_error (with the path) on a write error such as a full disk.
  void write(std::string_view text);
  // Flushes what is complete so far (rows reach a pipe as soon as their window is done).
  void flush();
  // Flushes, syncs and renames the temporary file into place.
  void commit();

  const std::string& display_name() const { return display_name_; }

 private:
  void fail(const char* what) const;

  std::FILE* stream_ = nullptr;
  std::filesystem::path final_path_;
  std::filesystem::path temp_path_;
  std::string display_name_;
  bool committed_ = false;
};

}  // namespace simscore::io
