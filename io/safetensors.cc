#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <numeric>
#include <set>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/errors.h"

namespace simscore::io {
namespace {

using Json = nlohmann::ordered_json;  // keeps the header's order, for entries() and for writing

constexpr size_t kLengthBytes = 8;
// The reference implementation refuses headers above this size; so do we, before allocating.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr std::string_view kMetadataKey = "__metadata__";

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& problem) {
  throw ModelError(fmt::format("{}: {}", path.string(), problem));
}

std::string system_error_text(int error) { return std::strerror(error); }

// Reads exactly out.size() bytes at `offset`; returns false at end of file, throws on I/O errors.
bool pread_all(int fd, std::span<std::byte> out, uint64_t offset, const std::filesystem::path& path) {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t got = ::pread(fd, out.data() + done, out.size() - done,
                                static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      fail(path, fmt::format("read of {} bytes at offset {} failed: {}", out.size(), offset,
                             system_error_text(errno)));
    }
    if (got == 0) return false;
    done += static_cast<size_t>(got);
  }
  return true;
}

// product(shape) x element size, or false when it does not fit in 64 bits.
bool byte_size(std::span<const int64_t> shape, size_t element_size, uint64_t& size) {
  uint64_t total = element_size;
  for (int64_t dim : shape) {
    if (__builtin_mul_overflow(total, static_cast<uint64_t>(dim), &total)) return false;
  }
  size = total;
  return true;
}

std::string json_type(const Json& value) { return value.type_name(); }

// Turns one header entry into a SafetensorsEntry with offsets relative to the data section.
SafetensorsEntry parse_entry(const std::string& name, const Json& value, uint64_t data_size,
                             const std::filesystem::path& path, uint64_t& begin, uint64_t& end) {
  const auto bad = [&](const std::string& problem) { fail(path, fmt::format("tensor '{}': {}", name, problem)); };
  if (!value.is_object()) bad(fmt::format("entry is a JSON {}, expected an object", json_type(value)));
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!value.contains(key)) bad(fmt::format("entry has no \"{}\"", key));
  }

  SafetensorsEntry entry;
  entry.name = name;
  const Json& dtype = value["dtype"];
  if (!dtype.is_string()) bad(fmt::format("\"dtype\" is a JSON {}, expected a string", json_type(dtype)));
  entry.dtype = dtype.get<std::string>();
  const size_t element_size = safetensors_dtype_size(entry.dtype);
  if (element_size == 0) bad(fmt::format("unknown dtype \"{}\"", entry.dtype));

  const Json& shape = value["shape"];
  if (!shape.is_array()) bad(fmt::format("\"shape\" is a JSON {}, expected an array", json_type(shape)));
  for (const Json& dim : shape) {
    if (dim.is_number_unsigned()) {
      if (dim.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) bad(fmt::format("dimension {} is too large", dim.dump()));
      entry.shape.push_back(dim.get<int64_t>());
    } else if (dim.is_number_integer()) {
      bad(fmt::format("negative dimension {} in shape {}", dim.dump(), shape.dump()));
    } else {
      bad(fmt::format("shape {} holds a JSON {}, expected non-negative integers", shape.dump(), json_type(dim)));
    }
  }

  const Json& offsets = value["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned()) {
    bad(fmt::format("\"data_offsets\" is {}, expected two non-negative integers [begin, end]", offsets.dump()));
  }
  begin = offsets[0].get<uint64_t>();
  end = offsets[1].get<uint64_t>();
  if (begin > end) bad(fmt::format("data_offsets [{}, {}] begin after they end", begin, end));
  if (end > data_size) {
    bad(fmt::format("data_offsets [{}, {}] end beyond the data section ({} bytes)", begin, end, data_size));
  }

  uint64_t expected = 0;
  if (!byte_size(entry.shape, element_size, expected)) {
    bad(fmt::format("shape {} x {} overflows 64 bits", shape.dump(), entry.dtype));
  }
  entry.size = end - begin;
  if (entry.size != expected) {
    bad(fmt::format("data_offsets [{}, {}] hold {} bytes but {} shape {} needs {}", begin, end, entry.size,
                    entry.dtype, shape.dump(), expected));
  }
  return entry;
}

// Rejects entries whose bytes overlap; empty tensors overlap nothing.
void check_no_overlap(const std::vector<SafetensorsEntry>& entries, const std::filesystem::path& path) {
  std::vector<size_t> order(entries.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return entries[a].offset < entries[b].offset; });
  const SafetensorsEntry* furthest = nullptr;  // the non-empty entry reaching furthest so far
  for (size_t index : order) {
    const SafetensorsEntry& entry = entries[index];
    if (entry.size == 0) continue;
    if (furthest && entry.offset < furthest->offset + furthest->size) {
      fail(path, fmt::format("tensors '{}' and '{}' overlap in the data section", furthest->name, entry.name));
    }
    if (!furthest || entry.offset + entry.size > furthest->offset + furthest->size) furthest = &entry;
  }
}

}  // namespace

size_t safetensors_dtype_size(std::string_view dtype) {
  static const std::pair<std::string_view, size_t> kSizes[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"F8_E8M0", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},     {"U32", 4},
      {"F32", 4},  {"I64", 8}, {"U64", 8}, {"F64", 8},     {"C64", 8},
  };
  for (const auto& [name, size] : kSizes) {
    if (name == dtype) return size;
  }
  return 0;
}

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  std::shared_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  // O_NONBLOCK: a FIFO in place of the weights is refused below instead of waiting for a writer.
  file->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (file->fd_ < 0) fail(path, fmt::format("cannot open: {}", system_error_text(errno)));
  struct stat info {};
  if (::fstat(file->fd_, &info) != 0) fail(path, fmt::format("cannot stat: {}", system_error_text(errno)));
  if (!S_ISREG(info.st_mode)) fail(path, "not a regular file");
  file->file_size_ = static_cast<uint64_t>(info.st_size);

  if (file->file_size_ < kLengthBytes) {
    fail(path, fmt::format("file is {} bytes, too short for the 8-byte header length", file->file_size_));
  }
  std::byte length_bytes[kLengthBytes];
  if (!pread_all(file->fd_, length_bytes, 0, path)) fail(path, "file ended while reading the header length");
  uint64_t header_size = 0;  // little-endian, whatever the host's byte order
  for (size_t i = 0; i < kLengthBytes; ++i) header_size |= std::to_integer<uint64_t>(length_bytes[i]) << (8 * i);
  if (header_size > kMaxHeaderBytes) {
    fail(path, fmt::format("header length {} is absurdly large (limit {} bytes)", header_size, kMaxHeaderBytes));
  }
  if (header_size > file->file_size_ - kLengthBytes) {
    fail(path, fmt::format("header length {} runs past the end of the file ({} bytes)", header_size, file->file_size_));
  }

  std::string header_text(header_size, '\0');
  if (!pread_all(file->fd_, std::as_writable_bytes(std::span(header_text)), kLengthBytes, path)) {
    fail(path, "file ended while reading the header");
  }
  Json header;
  try {
    header = Json::parse(header_text);
  } catch (const Json::exception& error) {
    fail(path, fmt::format("header is not valid JSON: {}", error.what()));
  }
  if (!header.is_object()) fail(path, fmt::format("header is a JSON {}, expected an object", json_type(header)));

  const uint64_t data_start = kLengthBytes + header_size;
  const uint64_t data_size = file->file_size_ - data_start;
  for (const auto& [name, value] : header.items()) {
    if (name == kMetadataKey) {  // free-form strings (e.g. "format": "pt"); non-strings are ignored
      if (value.is_object())
        for (const auto& [key, text] : value.items())
          if (text.is_string()) file->metadata_[key] = text.get<std::string>();
      continue;
    }
    uint64_t begin = 0, end = 0;
    SafetensorsEntry entry = parse_entry(name, value, data_size, path, begin, end);
    entry.offset = data_start + begin;
    file->entries_.push_back(std::move(entry));
  }
  check_no_overlap(file->entries_, path);
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(const_cast<std::byte*>(map_), file_size_);
  if (fd_ >= 0) ::close(fd_);
}

const SafetensorsEntry* SafetensorsFile::find(std::string_view name) const {
  for (const SafetensorsEntry& entry : entries_) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

std::span<const std::byte> SafetensorsFile::mapped(const SafetensorsEntry& entry) const {
  if (entry.offset > file_size_ || entry.size > file_size_ - entry.offset) {
    fail(path_, fmt::format("tensor '{}' lies outside the file", entry.name));
  }
  // If mmap throws, the flag stays unset and the next call tries again.
  std::call_once(map_once_, [this] {
    void* address = ::mmap(nullptr, file_size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (address == MAP_FAILED) fail(path_, fmt::format("cannot map {} bytes: {}", file_size_, system_error_text(errno)));
    map_ = static_cast<const std::byte*>(address);
  });
  return {map_ + entry.offset, static_cast<size_t>(entry.size)};
}

void SafetensorsFile::read(const SafetensorsEntry& entry, std::span<std::byte> out) const {
  if (out.size() != entry.size) {
    throw std::invalid_argument(fmt::format("{}: tensor '{}' is {} bytes, the buffer {}", path_.string(), entry.name,
                                            entry.size, out.size()));
  }
  if (entry.offset > file_size_ || entry.size > file_size_ - entry.offset) {
    fail(path_, fmt::format("tensor '{}' lies outside the file", entry.name));
  }
  if (!pread_all(fd_, out, entry.offset, path_)) {
    fail(path_, fmt::format("file ended inside tensor '{}' (was it truncated after opening?)", entry.name));
  }
}

namespace {

// Owns the temporary file until it is renamed; removes it if the write does not complete.
class TemporaryFile {
 public:
  TemporaryFile(std::filesystem::path target) : target_(std::move(target)), path_(target_) {
    path_ += ".tmp";
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail_with_errno("cannot create " + path_.string());
  }
  ~TemporaryFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }

  void write(std::span<const std::byte> bytes) {
    while (!bytes.empty()) {
      const ssize_t wrote = ::write(fd_, bytes.data(), bytes.size());
      if (wrote < 0) {
        if (errno == EINTR) continue;
        fail_with_errno("cannot write " + path_.string());
      }
      bytes = bytes.subspan(static_cast<size_t>(wrote));
    }
  }

  // fsync, close, rename over the target, then sync the folder so the rename itself is durable.
  void commit() {
    if (::fsync(fd_) != 0) fail_with_errno("cannot sync " + path_.string());
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) fail_with_errno("cannot close " + path_.string());
    if (::rename(path_.c_str(), target_.c_str()) != 0) fail_with_errno("cannot rename " + path_.string() + " to it");
    committed_ = true;
    std::filesystem::path folder = target_.parent_path();
    if (folder.empty()) folder = ".";
    const int folder_fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (folder_fd >= 0) {  // best effort: some file systems cannot sync a folder
      ::fsync(folder_fd);
      ::close(folder_fd);
    }
  }

 private:
  [[noreturn]] void fail_with_errno(const std::string& what) const {
    const int error = errno;
    throw std::runtime_error(fmt::format("{}: {}: {}", target_.string(), what, system_error_text(error)));
  }

  std::filesystem::path target_;
  std::filesystem::path path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

void write_safetensors(const std::filesystem::path& path, std::span<const SafetensorsTensor> tensors,
                       const std::map<std::string, std::string>& metadata) {
  const auto bad = [&](const std::string& name, const std::string& problem) {
    throw std::invalid_argument(fmt::format("{}: tensor '{}': {}", path.string(), name, problem));
  };
  // The reference writer puts the metadata first, then the tensors, each as dtype, shape, offsets.
  Json header = Json::object();
  if (!metadata.empty()) {
    Json meta = Json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
    header[std::string(kMetadataKey)] = std::move(meta);
  }
  std::set<std::string_view> names;
  uint64_t data_size = 0;
  for (const SafetensorsTensor& tensor : tensors) {
    if (tensor.name.empty() || tensor.name == kMetadataKey) bad(tensor.name, "name is reserved or empty");
    if (!names.insert(tensor.name).second) bad(tensor.name, "name appears twice");
    const size_t element_size = safetensors_dtype_size(tensor.dtype);
    if (element_size == 0) bad(tensor.name, fmt::format("unknown dtype \"{}\"", tensor.dtype));
    if (std::any_of(tensor.shape.begin(), tensor.shape.end(), [](int64_t dim) { return dim < 0; })) {
      bad(tensor.name, "negative dimension");
    }
    uint64_t expected = 0;
    if (!byte_size(tensor.shape, element_size, expected) || expected != tensor.data.size()) {
      bad(tensor.name, fmt::format("{} bytes of data do not match dtype {} and its shape", tensor.data.size(),
                                   tensor.dtype));
    }
    header[tensor.name] = {{"dtype", tensor.dtype},
                           {"shape", tensor.shape},
                           {"data_offsets", {data_size, data_size + tensor.data.size()}}};
    data_size += tensor.data.size();
  }

  std::string header_text;
  try {
    header_text = header.dump();
  } catch (const Json::exception& error) {  // a name or metadata value that is not UTF-8
    throw std::invalid_argument(fmt::format("{}: cannot write the header: {}", path.string(), error.what()));
  }
  // Padding keeps the data section, and so each tensor written after aligned ones, 8-byte aligned.
  header_text.append((kLengthBytes - header_text.size() % kLengthBytes) % kLengthBytes, ' ');
  std::byte length_bytes[kLengthBytes];
  for (size_t i = 0; i < kLengthBytes; ++i) {
    length_bytes[i] = static_cast<std::byte>((uint64_t{header_text.size()} >> (8 * i)) & 0xff);
  }

  TemporaryFile file(path);
  file.write(length_bytes);
  file.write(std::as_bytes(std::span(header_text)));
  for (const SafetensorsTensor& tensor : tensors) file.write(tensor.data);
  file.commit();
}

}  // namespace simscore::io
