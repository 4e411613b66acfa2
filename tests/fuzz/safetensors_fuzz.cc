// Opens arbitrary bytes as a safetensors file with io/safetensors, then reads every tensor both
// ways the loader does (pread and mmap) and checks that they agree and stay inside the file.
// Input: the whole file.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "core/errors.h"
#include "io/safetensors.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = simscore::fuzz::scratch_dir() / "model.safetensors";
  simscore::fuzz::write_file(path, std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    const auto file = simscore::io::SafetensorsFile::open(path);
    for (const auto& entry : file->entries()) {
      SIMSCORE_FUZZ_CHECK(entry.offset >= 8);
      SIMSCORE_FUZZ_CHECK(entry.size <= size && entry.offset <= size - entry.size);
      SIMSCORE_FUZZ_CHECK(file->find(entry.name) != nullptr);
      std::vector<std::byte> copy(entry.size);
      file->read(entry, copy);
      const auto mapped = file->mapped(entry);
      SIMSCORE_FUZZ_CHECK(mapped.size() == entry.size);
      SIMSCORE_FUZZ_CHECK(entry.size == 0 || std::memcmp(copy.data(), mapped.data(), entry.size) == 0);
      SIMSCORE_FUZZ_CHECK(entry.size == 0 || std::memcmp(copy.data(), data + entry.offset, entry.size) == 0);
    }
  } catch (const simscore::ModelError&) {
    // A documented rejection: short file, bad header, offsets out of range, overlap, ...
  }
  return 0;
}
