// The safetensors reader and writer: round trips, the documented byte layout, one test per kind of
// malformed file (each must name the file and the problem), write failures, and the real model file.
#include "io/safetensors.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/errors.h"
#include "test_paths.h"

namespace simscore::io {
namespace {

namespace fs = std::filesystem;

std::vector<std::byte> to_bytes(std::string_view text) {
  const auto bytes = std::as_bytes(std::span(text));
  return {bytes.begin(), bytes.end()};
}

template <typename T>
std::span<const std::byte> bytes_of(const std::vector<T>& values) {
  return std::as_bytes(std::span(values));
}

std::vector<std::byte> le64(uint64_t value) {
  std::vector<std::byte> out(8);
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<std::byte>((value >> (8 * i)) & 0xff);
  return out;
}

bool same_bytes(std::span<const std::byte> a, std::span<const std::byte> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

std::vector<std::byte> read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return to_bytes(text);
}

class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "safetensors_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write_raw(const std::string& name, const std::vector<std::byte>& bytes) {
    const fs::path path = dir_ / name;
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path;
  }
  // A file whose 8-byte length prefix is the header's real length, then the header, then `data_size`
  // bytes of data.
  fs::path write_with_header(const std::string& header, size_t data_size) {
    std::vector<std::byte> bytes = le64(header.size());
    const auto text = to_bytes(header);
    bytes.insert(bytes.end(), text.begin(), text.end());
    bytes.resize(bytes.size() + data_size, std::byte{0x5a});
    return write_raw("bad.safetensors", bytes);
  }

  // Opening `path` must throw ModelError whose message names the file and contains `problem`.
  static void expect_model_error(const fs::path& path, const std::string& problem) {
    try {
      SafetensorsFile::open(path);
      ADD_FAILURE() << "opening " << path << " did not throw; expected: " << problem;
    } catch (const ModelError& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find(path.string()), std::string::npos) << "message does not name the file: " << message;
      EXPECT_NE(message.find(problem), std::string::npos) << "expected \"" << problem << "\" in: " << message;
    }
  }

  fs::path dir_;
};

TEST_F(SafetensorsTest, RoundTripGivesBackNamesDtypesShapesAndBytes) {
  const std::vector<float> weight = {1.5f, -2.25f, 3.0f, 0.0f, -0.0f, 1e-30f};
  const std::vector<int64_t> ids = {0, -1, INT64_MAX};
  const std::vector<uint16_t> half = {0x3c00, 0xc000};  // F16 1.0, -2.0
  const std::vector<uint16_t> scalar = {0x3f80};        // BF16 1.0, shape []
  const std::vector<uint8_t> empty;
  const std::vector<SafetensorsTensor> tensors = {
      {"encoder.weight", "F32", {2, 3}, bytes_of(weight)},
      {"position_ids", "I64", {1, 3}, bytes_of(ids)},
      {"half", "F16", {2}, bytes_of(half)},
      {"scalar", "BF16", {}, bytes_of(scalar)},
      {"empty", "U8", {0, 4}, bytes_of(empty)},
  };
  const fs::path path = dir_ / "model.safetensors";
  write_safetensors(path, tensors, {{"format", "pt"}});
  EXPECT_FALSE(fs::exists(dir_ / "model.safetensors.tmp"));

  const auto file = SafetensorsFile::open(path);
  EXPECT_EQ(file->path(), path);
  ASSERT_EQ(file->entries().size(), tensors.size());  // __metadata__ is not an entry
  const auto whole = read_all(path);
  uint64_t header_size = 0;
  for (size_t i = 0; i < 8; ++i) header_size |= std::to_integer<uint64_t>(whole[i]) << (8 * i);
  EXPECT_EQ(header_size % 8, 0u);
  EXPECT_EQ(file->entries()[0].offset, 8 + header_size);  // offsets are from the start of the file

  for (size_t i = 0; i < tensors.size(); ++i) {
    const SafetensorsTensor& tensor = tensors[i];
    const SafetensorsEntry& entry = file->entries()[i];  // in the order written
    EXPECT_EQ(entry.name, tensor.name);
    const SafetensorsEntry* found = file->find(tensor.name);
    ASSERT_EQ(found, &entry);
    EXPECT_EQ(entry.dtype, tensor.dtype);
    EXPECT_EQ(entry.shape, tensor.shape);
    ASSERT_EQ(entry.size, tensor.data.size());
    const auto mapped = file->mapped(entry);
    ASSERT_EQ(mapped.size(), tensor.data.size());
    EXPECT_TRUE(same_bytes(mapped, tensor.data)) << tensor.name;
    // The mapping and the file agree on where the bytes are.
    EXPECT_TRUE(same_bytes(std::span(whole).subspan(entry.offset, entry.size), tensor.data)) << tensor.name;
    std::vector<std::byte> copy(entry.size, std::byte{0xee});
    file->read(entry, copy);
    EXPECT_TRUE(same_bytes(copy, tensor.data)) << tensor.name;
  }
  EXPECT_EQ(file->find("missing"), nullptr);
  EXPECT_EQ(file->find("__metadata__"), nullptr);
}

// The documented layout (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
// length, the JSON header padded with spaces to a multiple of 8, then the raw little-endian data.
// The expected bytes are what the Python safetensors library (0.8.0) writes for the same tensors.
TEST_F(SafetensorsTest, WriterMatchesTheDocumentedLayoutByteForByte) {
  const std::vector<float> values = {1.0f, -2.0f};
  const SafetensorsTensor tensor{"a", "F32", {2}, bytes_of(values)};
  const fs::path path = dir_ / "a.safetensors";
  write_safetensors(path, std::span(&tensor, 1));

  const std::string json = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";  // 54 bytes
  ASSERT_EQ(json.size(), 54u);
  std::vector<std::byte> expected = {std::byte{56}, std::byte{0}, std::byte{0}, std::byte{0},
                                     std::byte{0},  std::byte{0}, std::byte{0}, std::byte{0}};
  for (char c : json + "  ") expected.push_back(static_cast<std::byte>(c));
  for (uint8_t b : {0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0}) expected.push_back(std::byte{b});
  EXPECT_EQ(read_all(path), expected);
}

TEST_F(SafetensorsTest, WriterPutsMetadataFirstLikeTheReference) {
  const std::vector<uint8_t> values = {1, 2, 3};
  const SafetensorsTensor tensor{"b", "U8", {1, 3}, bytes_of(values)};
  const fs::path path = dir_ / "b.safetensors";
  write_safetensors(path, std::span(&tensor, 1), {{"format", "pt"}});

  const std::string json =
      R"({"__metadata__":{"format":"pt"},"b":{"dtype":"U8","shape":[1,3],"data_offsets":[0,3]}})";
  ASSERT_EQ(json.size(), 86u);
  std::vector<std::byte> expected = le64(88);
  for (char c : json + "  ") expected.push_back(static_cast<std::byte>(c));
  for (uint8_t b : values) expected.push_back(std::byte{b});
  EXPECT_EQ(read_all(path), expected);
}

TEST_F(SafetensorsTest, FileWithoutTensorsIsAnEmptyObjectPaddedToEightBytes) {
  const fs::path path = dir_ / "empty.safetensors";
  write_safetensors(path, {});
  std::vector<std::byte> expected = le64(8);
  for (char c : std::string("{}      ")) expected.push_back(static_cast<std::byte>(c));
  EXPECT_EQ(read_all(path), expected);
  EXPECT_TRUE(SafetensorsFile::open(path)->entries().empty());
}

TEST_F(SafetensorsTest, HandWrittenFileWithGapsMetadataAndEmptyTensorsOpens) {
  // Not contiguous, not in offset order, an empty tensor inside another's range: all valid.
  const fs::path path = write_with_header(
      R"({"__metadata__":{"format":"pt"},"late":{"dtype":"I32","shape":[2],"data_offsets":[16,24]},)"
      R"("early":{"dtype":"F16","shape":[2,1],"data_offsets":[0,4]},)"
      R"("none":{"dtype":"F32","shape":[3,0],"data_offsets":[18,18]}})",
      24);
  const auto file = SafetensorsFile::open(path);
  ASSERT_EQ(file->entries().size(), 3u);
  EXPECT_EQ(file->entries()[0].name, "late");
  const uint64_t data_start = fs::file_size(path) - 24;
  EXPECT_EQ(file->find("late")->offset, data_start + 16);
  EXPECT_EQ(file->find("early")->size, 4u);
  EXPECT_EQ(file->find("none")->size, 0u);
  EXPECT_EQ(file->mapped(*file->find("none")).size(), 0u);
  EXPECT_EQ(file->find("early")->shape, (std::vector<int64_t>{2, 1}));
}

// --- malformed files: one test per problem ------------------------------------------------------

TEST_F(SafetensorsTest, MissingFile) { expect_model_error(dir_ / "absent.safetensors", "cannot open"); }

TEST_F(SafetensorsTest, DirectoryIsNotAFile) { expect_model_error(dir_, "not a regular file"); }

TEST_F(SafetensorsTest, FileShorterThanEightBytes) {
  expect_model_error(write_raw("short.safetensors", {std::byte{1}, std::byte{0}, std::byte{0}}),
                     "file is 3 bytes, too short");
  expect_model_error(write_raw("zero.safetensors", {}), "file is 0 bytes, too short");
}

TEST_F(SafetensorsTest, HeaderLengthPastTheEndOfTheFile) {
  std::vector<std::byte> bytes = le64(1000);
  const auto text = to_bytes("{}");
  bytes.insert(bytes.end(), text.begin(), text.end());
  expect_model_error(write_raw("past.safetensors", bytes), "header length 1000 runs past the end of the file (10 bytes)");
}

TEST_F(SafetensorsTest, HeaderLengthAbsurdlyLarge) {
  std::vector<std::byte> bytes(64, std::byte{' '});
  const auto length = le64(uint64_t{1} << 40);
  std::copy(length.begin(), length.end(), bytes.begin());
  expect_model_error(write_raw("huge.safetensors", bytes), "header length 1099511627776 is absurdly large");
  expect_model_error(write_raw("huge2.safetensors", le64(100'000'001)), "is absurdly large");
}

TEST_F(SafetensorsTest, HeaderNotJson) {
  expect_model_error(write_with_header(R"({"a": {"dtype": "F32",)", 0), "header is not valid JSON");
  expect_model_error(write_with_header("", 0), "header is not valid JSON");
}

TEST_F(SafetensorsTest, HeaderNotAnObject) {
  expect_model_error(write_with_header("[1, 2, 3]", 0), "header is a JSON array, expected an object");
}

TEST_F(SafetensorsTest, EntryNotAnObject) {
  expect_model_error(write_with_header(R"({"w": [1, 2]})", 0), "tensor 'w': entry is a JSON array");
}

TEST_F(SafetensorsTest, EntryMissingDtype) {
  expect_model_error(write_with_header(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", 4),
                     "tensor 'w': entry has no \"dtype\"");
}

TEST_F(SafetensorsTest, EntryMissingShape) {
  expect_model_error(write_with_header(R"({"w":{"dtype":"F32","data_offsets":[0,4]}})", 4),
                     "tensor 'w': entry has no \"shape\"");
}

TEST_F(SafetensorsTest, EntryMissingDataOffsets) {
  expect_model_error(write_with_header(R"({"w":{"dtype":"F32","shape":[1]}})", 4),
                     "tensor 'w': entry has no \"data_offsets\"");
}

TEST_F(SafetensorsTest, DtypeOfWrongJsonType) {
  expect_model_error(write_with_header(R"({"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})", 4),
                     "\"dtype\" is a JSON number, expected a string");
}

TEST_F(SafetensorsTest, ShapeOfWrongJsonType) {
  expect_model_error(write_with_header(R"({"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}})", 4),
                     "\"shape\" is a JSON string, expected an array");
  expect_model_error(write_with_header(R"({"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}})", 4),
                     "shape [1.0] holds a JSON number, expected non-negative integers");
}

TEST_F(SafetensorsTest, DataOffsetsOfWrongJsonType) {
  const std::string problem = "\"data_offsets\" is";
  expect_model_error(write_with_header(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}})", 4),
                     problem);
  expect_model_error(write_with_header(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}})", 8),
                     problem);
  expect_model_error(write_with_header(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", 8),
                     problem);
  expect_model_error(write_with_header(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":4}})", 4), problem);
}

TEST_F(SafetensorsTest, UnknownDtype) {
  expect_model_error(write_with_header(R"({"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})", 4),
                     "tensor 'w': unknown dtype \"F33\"");
  // Sub-byte dtypes have no whole-byte element size; we do not load them.
  expect_model_error(write_with_header(R"({"w":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}})", 1),
                     "unknown dtype \"F4\"");
}

TEST_F(SafetensorsTest, NegativeDimension) {
  expect_model_error(write_with_header(R"({"w":{"dtype":"F32","shape":[2,-2],"data_offsets":[0,16]}})", 16),
                     "tensor 'w': negative dimension -2");
}

TEST_F(SafetensorsTest, DataOffsetsBeginAfterEnd) {
  expect_model_error(write_with_header(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", 8),
                     "tensor 'w': data_offsets [8, 4] begin after they end");
}

TEST_F(SafetensorsTest, DataOffsetsEndBeyondTheDataSection) {
  expect_model_error(write_with_header(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 7),
                     "tensor 'w': data_offsets [0, 8] end beyond the data section (7 bytes)");
}

TEST_F(SafetensorsTest, OverlappingEntries) {
  expect_model_error(write_with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                       R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                       12),
                     "tensors 'a' and 'b' overlap");
  // One tensor inside another, listed first.
  expect_model_error(write_with_header(R"({"inner":{"dtype":"U8","shape":[1],"data_offsets":[5,6]},)"
                                       R"("outer":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                                       R"("after":{"dtype":"U8","shape":[1],"data_offsets":[8,9]}})",
                                       16),
                     "overlap");
}

TEST_F(SafetensorsTest, SizeDoesNotMatchDtypeTimesShape) {
  expect_model_error(write_with_header(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})", 24),
                     "tensor 'w': data_offsets [0, 20] hold 20 bytes but F32 shape [2,3] needs 24");
}

TEST_F(SafetensorsTest, ShapeWhoseByteSizeOverflows) {
  // 2^32 * 2^32 * 4 wraps to 0 in 64 bits: a naive product would accept data_offsets [0, 0].
  expect_model_error(
      write_with_header(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", 0),
      "overflows 64 bits");
}

// --- reading after open ---------------------------------------------------------------------------

TEST_F(SafetensorsTest, ReadIntoAWrongSizedBufferIsRefused) {
  const std::vector<float> values = {1, 2, 3};
  const SafetensorsTensor tensor{"w", "F32", {3}, bytes_of(values)};
  const fs::path path = dir_ / "w.safetensors";
  write_safetensors(path, std::span(&tensor, 1));
  const auto file = SafetensorsFile::open(path);
  std::vector<std::byte> small(8);
  EXPECT_THROW(file->read(file->entries()[0], small), std::invalid_argument);
}

TEST_F(SafetensorsTest, ReadOfAFileTruncatedAfterOpeningIsAModelError) {
  const std::vector<float> values(64, 1.0f);
  const SafetensorsTensor tensor{"w", "F32", {64}, bytes_of(values)};
  const fs::path path = dir_ / "w.safetensors";
  write_safetensors(path, std::span(&tensor, 1));
  const auto file = SafetensorsFile::open(path);
  fs::resize_file(path, fs::file_size(path) - 10);
  std::vector<std::byte> out(file->entries()[0].size);
  try {
    file->read(file->entries()[0], out);
    ADD_FAILURE() << "read past the end of a truncated file did not throw";
  } catch (const ModelError& error) {
    EXPECT_NE(std::string(error.what()).find("file ended inside tensor 'w'"), std::string::npos) << error.what();
  }
}

// --- writer failures ------------------------------------------------------------------------------

TEST_F(SafetensorsTest, WriterRejectsTensorsItCannotDescribe) {
  const std::vector<float> values = {1, 2, 3};
  const fs::path path = dir_ / "w.safetensors";
  const std::vector<SafetensorsTensor> mismatch = {{"w", "F32", {2}, bytes_of(values)}};
  EXPECT_THROW(write_safetensors(path, mismatch), std::invalid_argument);
  const std::vector<SafetensorsTensor> unknown = {{"w", "F24", {3}, bytes_of(values)}};
  EXPECT_THROW(write_safetensors(path, unknown), std::invalid_argument);
  const std::vector<SafetensorsTensor> twice = {{"w", "F32", {3}, bytes_of(values)},
                                                {"w", "F32", {3}, bytes_of(values)}};
  EXPECT_THROW(write_safetensors(path, twice), std::invalid_argument);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(dir_ / "w.safetensors.tmp"));
}

TEST_F(SafetensorsTest, WriteIntoAMissingFolderNamesThePathAndTheSystemError) {
  const std::vector<float> values = {1};
  const SafetensorsTensor tensor{"w", "F32", {1}, bytes_of(values)};
  const fs::path path = dir_ / "no-such-folder" / "w.safetensors";
  try {
    write_safetensors(path, std::span(&tensor, 1));
    ADD_FAILURE() << "writing into a missing folder did not throw";
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_NE(message.find(std::strerror(ENOENT)), std::string::npos) << message;
  }
}

// A failing write (here EFBIG from a file-size limit, standing in for ENOSPC) must leave neither a
// partial file at the target nor the temporary file, and must not touch a file already there.
TEST_F(SafetensorsTest, FailedWriteLeavesNoPartialFileAndKeepsTheOldOne) {
  const fs::path path = dir_ / "w.safetensors";
  const std::vector<float> old_values = {7};
  const SafetensorsTensor old_tensor{"old", "F32", {1}, bytes_of(old_values)};
  write_safetensors(path, std::span(&old_tensor, 1));
  const auto old_bytes = read_all(path);

  const std::vector<float> values(1 << 16, 1.0f);  // 256 KiB
  const SafetensorsTensor tensor{"w", "F32", {1 << 16}, bytes_of(values)};
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  rlimit limited = saved;
  limited.rlim_cur = 4096;
  auto* const old_handler = ::signal(SIGXFSZ, SIG_IGN);  // get EFBIG instead of being killed
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  std::string message;
  try {
    write_safetensors(path, std::span(&tensor, 1));
  } catch (const std::runtime_error& error) {
    message = error.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  ::signal(SIGXFSZ, old_handler);

  ASSERT_FALSE(message.empty()) << "a write over the file-size limit did not throw";
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_NE(message.find(std::strerror(EFBIG)), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(dir_ / "w.safetensors.tmp"));
  EXPECT_EQ(read_all(path), old_bytes);
}

// --- the real model -------------------------------------------------------------------------------

fs::path real_model_file() {
  if (const char* dir = std::getenv("SIMSCORE_DEFAULT_MODEL"); dir && *dir) {
    if (fs::exists(fs::path(dir) / "model.safetensors")) return fs::path(dir) / "model.safetensors";
  }
  return testing::source_dir() / "models" / "all-MiniLM-L6-v2" / "model.safetensors";
}

TEST(SafetensorsRealModel, MiniLmFileListsItsF32Tensors) {
  const fs::path path = real_model_file();
  SIMSCORE_REQUIRE_PATH(path, "put all-MiniLM-L6-v2 in models/ or set SIMSCORE_DEFAULT_MODEL to its folder");
  const auto file = SafetensorsFile::open(path);
  size_t f32 = 0;
  for (const SafetensorsEntry& entry : file->entries()) f32 += entry.dtype == "F32";
  EXPECT_GE(f32, 101u);
  const SafetensorsEntry* embeddings = file->find("embeddings.word_embeddings.weight");
  ASSERT_NE(embeddings, nullptr);
  EXPECT_EQ(embeddings->dtype, "F32");
  EXPECT_EQ(embeddings->shape, (std::vector<int64_t>{30522, 384}));
  EXPECT_EQ(embeddings->size, 30522u * 384u * 4u);

  // mapped() and read() agree on the largest tensor, and its values are ordinary floats.
  const auto mapped = file->mapped(*embeddings);
  std::vector<std::byte> copy(embeddings->size);
  file->read(*embeddings, copy);
  EXPECT_TRUE(same_bytes(mapped, copy));
  float first[4];
  std::memcpy(first, copy.data(), sizeof(first));
  for (float value : first) EXPECT_LT(std::abs(value), 10.0f);
}

}  // namespace
}  // namespace simscore::io
