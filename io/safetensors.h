#pragma once
// Reads safetensors files (https://huggingface.co/docs/safetensors): a validated header, then each
// tensor either mapped in place (zero copy) or copied out with pread (so a tensor that is converted
// to another precision never brings the whole file into the process's resident memory).
// Also writes them, for `simscore convert` and for tests that build model files.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace simscore::io {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;            // as written in the header: "F32", "F16", "BF16", "I64", ...
  std::vector<int64_t> shape;
  uint64_t offset = 0;          // from the start of the file
  uint64_t size = 0;            // bytes
};

class SafetensorsFile {
 public:
  // Opens and validates the file. Throws ModelError naming the file and the problem (too short,
  // header size past the end, header not JSON, an entry without dtype/shape/offsets, offsets out of
  // range or overlapping, a size that does not match dtype x shape).
  static std::shared_ptr<const SafetensorsFile> open(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // In the order the header lists them.
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }
  // The header's "__metadata__" strings (e.g. "format": "pt").
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // nullptr when the file has no tensor of that name.
  const SafetensorsEntry* find(std::string_view name) const;

  // The tensor's bytes, mapped read-only; valid while this object lives. The data is only as
  // aligned as the file lays it out (the header ends on a multiple of 8; tensors follow one another).
  std::span<const std::byte> mapped(const SafetensorsEntry& entry) const;
  // Copies the tensor's bytes into `out` (out.size() must equal entry.size) without mapping them.
  void read(const SafetensorsEntry& entry, std::span<std::byte> out) const;

 private:
  SafetensorsFile() = default;
  std::filesystem::path path_;
  int fd_ = -1;
  uint64_t file_size_ = 0;
  mutable const std::byte* map_ = nullptr;  // mapped lazily, on the first call to mapped()
  mutable std::once_flag map_once_;
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, std::string> metadata_;
};

// Element size in bytes of a safetensors dtype string, or 0 for an unknown one.
size_t safetensors_dtype_size(std::string_view dtype);

// One tensor to write; `data` must hold exactly product(shape) x dtype size bytes.
struct SafetensorsTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::span<const std::byte> data;
};

// Writes the tensors in the given order, the header padded with spaces to a multiple of 8 bytes as
// the reference implementation does. The bytes go to `path`.tmp, which is synced and then renamed,
// so an interrupted write never leaves a file at `path` that looks complete. Throws
// std::invalid_argument for tensors that cannot be written (unknown dtype, size mismatch, duplicate
// name) and std::runtime_error naming the path and the system error when writing fails.
void write_safetensors(const std::filesystem::path& path, std::span<const SafetensorsTensor> tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace simscore::io
