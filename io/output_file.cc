#include "io/output_file.h"

#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace simscore::io {

OutputFile::OutputFile(const std::string& path) {
  if (path.empty() || path == "-") {
    stream_ = stdout;
    display_name_ = "<stdout>";
    return;
  }
  final_path_ = path;
  temp_path_ = final_path_;
  temp_path_ += ".partial";
  display_name_ = path;
  stream_ = std::fopen(temp_path_.c_str(), "wb");
  if (!stream_)
    throw std::system_error(errno, std::generic_category(), "cannot create " + temp_path_.string());
}

OutputFile::~OutputFile() {
  if (stream_ == stdout) return;
  if (stream_) std::fclose(stream_);
  std::error_code ignored;
  if (!committed_) std::filesystem::remove(temp_path_, ignored);
}

void OutputFile::fail(const char* what) const {
  throw std::system_error(errno, std::generic_category(),
                          std::string(what) + " " + (temp_path_.empty() ? display_name_ : temp_path_.string()));
}

void OutputFile::write(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), stream_) != text.size()) fail("cannot write");
}

void OutputFile::flush() {
  if (std::fflush(stream_) != 0) fail("cannot write");
}

void OutputFile::commit() {
  flush();
  if (stream_ == stdout) return;
  if (::fsync(fileno(stream_)) != 0) fail("cannot sync");
  if (std::fclose(stream_) != 0) {
    stream_ = nullptr;
    fail("cannot close");
  }
  stream_ = nullptr;
  std::error_code error;
  std::filesystem::rename(temp_path_, final_path_, error);
  if (error) {
    std::filesystem::remove(temp_path_);
    throw std::system_error(error, "cannot rename " + temp_path_.string() + " to " + display_name_);
  }
  committed_ = true;
}

}  // namespace simscore::io
