// The PyTorch checkpoint reader: real torch.save files (written by
// tests/reference/make_structbert_fixtures.py) read back value for value, and hand-built archives
// that it must refuse with a ModelError rather than crash on.

#include "io/torch_checkpoint.h"

#include <gtest/gtest.h>
#include <minizip/zip.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "core/errors.h"
#include "core/ops/convert.h"
#include "temp_dir.h"
#include "test_paths.h"

namespace simscore {
namespace {

namespace fs = std::filesystem;
using io::open_torch_checkpoint;
using io::TensorInfo;

fs::path torch_dir() { return testing::fixtures_dir() / "torch"; }

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string error_of(const fs::path& path) {
  try {
    open_torch_checkpoint(path);
  } catch (const ModelError& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<double> values_of(const io::TensorSource& source, const TensorInfo& t) {
  size_t n = 1;
  for (int64_t d : t.shape) n *= static_cast<size_t>(d);
  std::vector<double> out;
  if (t.dtype == "I64") {
    std::vector<int64_t> v(n);
    source.read(t, 0, n, reinterpret_cast<std::byte*>(v.data()));
    out.assign(v.begin(), v.end());
    return out;
  }
  const DType dtype = io::float_dtype(source, t);
  std::vector<std::byte> raw(n * dtype_size(dtype));
  source.read(t, 0, n, raw.data());
  std::vector<float> f(n);
  convert_to_f32(raw.data(), dtype, f.data(), n);
  out.assign(f.begin(), f.end());
  return out;
}

TEST(TorchCheckpoint, ReadsViewsDtypesAndSharedStoragesAsTorchSavedThem) {
  SIMSCORE_REQUIRE_FIXTURE("torch/views.json");
  const auto expected = nlohmann::json::parse(read_bytes(torch_dir() / "views.json"));
  const auto source = open_torch_checkpoint(torch_dir() / "views.bin");
  ASSERT_EQ(source->tensors().size(), expected.size());
  const std::map<std::string, std::string> dtypes = {
      {"float32", "F32"}, {"float16", "F16"}, {"bfloat16", "BF16"}, {"int64", "I64"}};
  for (const auto& [name, want] : expected.items()) {
    SCOPED_TRACE(name);
    const TensorInfo* t = source->find(name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->shape, want["shape"].get<std::vector<int64_t>>());
    EXPECT_EQ(t->dtype, dtypes.at(want["dtype"].get<std::string>()));
    EXPECT_EQ(values_of(*source, *t), want["values"].get<std::vector<double>>());
  }
  // Mapped in place: the same bytes as read(), and aligned (torch pads entries to 64 bytes).
  const TensorInfo& plain = *source->find("plain");
  const std::byte* mapped = source->mapped(plain);
  ASSERT_NE(mapped, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(mapped) % 4, 0u);
  std::vector<std::byte> read(30 * 4);
  source->read(plain, 0, 30, read.data());
  EXPECT_EQ(std::memcmp(mapped, read.data(), read.size()), 0);
  // A partial read starts at the right element of a view with a storage offset.
  const TensorInfo& slice = *source->find("row_slice");
  float second_row[5];
  source->read(slice, 5, 5, reinterpret_cast<std::byte*>(second_row));
  const auto all = expected["row_slice"]["values"].get<std::vector<float>>();
  EXPECT_EQ(std::vector<float>(second_row, second_row + 5), std::vector<float>(all.begin() + 5, all.end()));
  EXPECT_THROW(source->read(slice, 8, 5, read.data()), ModelError);
}

TEST(TorchCheckpoint, RefusesWhatItCannotReadWithAMessageThatSaysWhatToDo) {
  SIMSCORE_REQUIRE_FIXTURE("torch/views.json");
  EXPECT_NE(error_of(torch_dir() / "transposed.bin").find("non-contiguous"), std::string::npos);
  EXPECT_NE(error_of(torch_dir() / "legacy.bin").find("legacy PyTorch format"), std::string::npos);
  EXPECT_NE(error_of(torch_dir() / "global.bin").find("global datetime.date is not allowed"),
            std::string::npos);
  EXPECT_NE(error_of(torch_dir() / "nested.bin").find("no tensors"), std::string::npos);
  EXPECT_NE(error_of(torch_dir() / "truncated.bin").find("truncated"), std::string::npos);
  EXPECT_NE(error_of(torch_dir() / "views.json").find("not a PyTorch checkpoint"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Hand-built checkpoints: the pickle torch.save writes for {"w": tensor}, with one thing changed.

std::string binunicode(const std::string& s) {
  std::string out = "X";
  const uint32_t n = static_cast<uint32_t>(s.size());
  out.append(reinterpret_cast<const char*>(&n), 4);
  return out + s;
}
std::string binint(int32_t v) {
  std::string out = "J";
  out.append(reinterpret_cast<const char*>(&v), 4);
  return out;
}

struct PickleSpec {
  std::string storage_type = "FloatStorage";
  int32_t storage_numel = 6;
  int32_t offset = 0;
  std::vector<int32_t> shape = {2, 3};
  std::vector<int32_t> stride = {3, 1};
  std::string extra;  // inserted before the final STOP
};

std::string state_dict_pickle(const PickleSpec& p) {
  std::string s = std::string("\x80\x02}q\x00(", 6) + binunicode("w") + "ctorch._utils\n_rebuild_tensor_v2\n((" +
                  binunicode("storage") + "ctorch\n" + p.storage_type + "\n" + binunicode("0") +
                  binunicode("cpu") + binint(p.storage_numel) + "tQ" + binint(p.offset) + "(";
  for (int32_t d : p.shape) s += binint(d);
  s += "t(";
  for (int32_t d : p.stride) s += binint(d);
  s += "t\x89" "ccollections\nOrderedDict\n)RtRu" + p.extra + ".";
  return s;
}

// This process's own directory for the checkpoints it writes (never a fixed name in the shared
// ::testing::TempDir(), which another test process may be writing at the same time).
const fs::path& own_dir() {
  static const simscore::testing::OwnTempDir dir("torch-checkpoint");
  return dir.path();
}

// Writes a zip with the entries torch.save writes, stored uncompressed.
fs::path write_checkpoint(const std::string& name, const std::string& pickle, const std::string& data) {
  const fs::path path = own_dir() / name;
  zipFile zip = zipOpen64(path.c_str(), APPEND_STATUS_CREATE);
  EXPECT_NE(zip, nullptr);
  for (const auto& [entry, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"archive/data.pkl", pickle}, {"archive/byteorder", "little"}, {"archive/data/0", data},
           {"archive/version", "3\n"}}) {
    EXPECT_EQ(zipOpenNewFileInZip64(zip, entry.c_str(), nullptr, nullptr, 0, nullptr, 0, nullptr,
                                    0, 0, 0),
              ZIP_OK);
    EXPECT_EQ(zipWriteInFileInZip(zip, bytes.data(), static_cast<unsigned>(bytes.size())), ZIP_OK);
    zipCloseFileInZip(zip);
  }
  zipClose(zip, nullptr);
  return path;
}

std::string floats(std::initializer_list<float> v) {
  return {reinterpret_cast<const char*>(std::data(v)), v.size() * sizeof(float)};
}

TEST(TorchCheckpoint, ReadsAHandBuiltStateDict) {
  const auto path =
      write_checkpoint("ok.bin", state_dict_pickle({}), floats({1, 2, 3, 4, 5, 6}));
  const auto source = open_torch_checkpoint(path);
  ASSERT_EQ(source->tensors().size(), 1u);
  EXPECT_EQ(source->tensors()[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values_of(*source, source->tensors()[0]), (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(TorchCheckpoint, RefusesMalformedPicklesAndStorages) {
  const std::string data = floats({1, 2, 3, 4, 5, 6});
  const auto refused = [&](const PickleSpec& spec, const std::string& data_bytes) {
    return error_of(write_checkpoint("bad.bin", state_dict_pickle(spec), data_bytes));
  };
  PickleSpec unknown_op;
  unknown_op.extra = "\xff";
  EXPECT_NE(refused(unknown_op, data).find("opcode 0xff"), std::string::npos);
  PickleSpec eval_global;
  eval_global.storage_type = "FloatStorage\ncbuiltins\neval";  // GLOBAL builtins.eval smuggled in
  EXPECT_NE(refused(eval_global, data).find("not allowed"), std::string::npos);
  PickleSpec os_system;
  os_system.storage_type = "system";  // torch.system
  EXPECT_NE(refused(os_system, data).find("global torch.system is not allowed"), std::string::npos);
  PickleSpec claims_more;
  claims_more.storage_numel = 100;  // the entry holds 6 floats
  EXPECT_NE(refused(claims_more, data).find("archive holds 24 bytes"), std::string::npos);
  PickleSpec past_end;
  past_end.offset = 2;  // 2 + 6 elements in a storage of 6
  EXPECT_NE(refused(past_end, data).find("outside its storage"), std::string::npos);
  PickleSpec negative;
  negative.shape = {-2, 3};
  EXPECT_NE(refused(negative, data).find("negative"), std::string::npos);
  PickleSpec strided;
  strided.stride = {1, 2};
  EXPECT_NE(refused(strided, data).find("non-contiguous"), std::string::npos);
  PickleSpec wrong_type;
  wrong_type.storage_type = "OrderedDict";  // torch.OrderedDict: not allowed either
  EXPECT_NE(refused(wrong_type, data).find("not allowed"), std::string::npos);

  std::string cut = state_dict_pickle({});
  cut.resize(cut.size() / 2);
  EXPECT_NE(error_of(write_checkpoint("cut.bin", cut, data)).find("ends early"), std::string::npos);

  const auto whole = read_bytes(write_checkpoint("whole.bin", state_dict_pickle({}), data));
  for (size_t keep : {size_t{0}, size_t{10}, whole.size() / 2, whole.size() - 1}) {
    const fs::path path = own_dir() / "short.bin";
    std::ofstream(path, std::ios::binary).write(whole.data(), static_cast<std::streamsize>(keep));
    EXPECT_NE(error_of(path), "(no error)") << keep;
  }
}

// A short deterministic fuzzing pass over the entry point the robustness work fuzzes for longer:
// random byte flips in a real checkpoint must end in a ModelError or a successful read.
TEST(TorchCheckpoint, SurvivesCorruptedBytes) {
  const auto path = write_checkpoint("fuzz.bin", state_dict_pickle({}), floats({1, 2, 3, 4, 5, 6}));
  const std::string original = read_bytes(path);
  std::mt19937 random(1234);
  for (int round = 0; round < 2000; ++round) {
    std::string bytes = original;
    const int flips = 1 + static_cast<int>(random() % 8);
    for (int i = 0; i < flips; ++i) bytes[random() % bytes.size()] = static_cast<char>(random());
    if (round % 5 == 0) bytes.resize(random() % bytes.size());
    io::fuzz_torch_checkpoint(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  SUCCEED();
}

}  // namespace
}  // namespace simscore
