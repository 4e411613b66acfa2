// simscore convert: rewrites a model directory with half-precision weights in model.safetensors, so
// later runs map them in place instead of converting a PyTorch or fp32 checkpoint on every start;
// with --precision int8, the int8 products' matrices already quantized (io/bert_weights.h).

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>

#include "cli/commands.h"
#include "cli/console.h"
#include "cli/exit_codes.h"
#include "cli/interrupt.h"
#include "cli/run_files.h"
#include "cli/model_options.h"
#include "core/errors.h"
#include "core/ops/convert.h"
#include "core/ops/int8_linear.h"
#include "io/bert_weights.h"
#include "io/model_dir.h"
#include "io/safetensors.h"
#include "io/tensor_source.h"

namespace simscore::cli {
namespace {

namespace fs = std::filesystem;

struct ConvertOptions {
  std::string model;
  std::string precision = "fp16";
  std::string output;
  RunFiles files;
};

// The order the safetensors reference implementation writes: larger dtypes first (so every tensor
// starts aligned for its type once the header is padded to 8), then by name.
int dtype_rank(const std::string& dtype) {
  static const std::vector<std::string> kOrder = {"BOOL", "U8",  "I8",  "F8_E5M2", "F8_E4M3",
                                                  "I16",  "U16", "F16", "BF16",    "I32",
                                                  "U32",  "F32", "F64", "I64",     "U64"};
  const auto it = std::find(kOrder.begin(), kOrder.end(), dtype);
  return it == kOrder.end() ? -1 : static_cast<int>(it - kOrder.begin());
}

// Files that hold weights in some format; everything else (config, tokenizer, sentence-transformers
// modules, ModelScope's configuration.json) is copied as it is.
bool is_weights_file(const fs::path& path) {
  const std::string name = path.filename().string();
  for (const char* ext : {".bin", ".safetensors", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".ot",
                          ".onnx"})
    if (name.ends_with(ext)) return true;
  return name.ends_with(".index.json");
}

struct ConvertedTensor {
  io::SafetensorsTensor entry;
  std::unique_ptr<std::byte[]> bytes;
};

// Matrices go to `target`; vectors (biases, LayerNorm) keep their dtype, as loading keeps them in
// fp32 anyway, so the converted directory scores exactly as the original does at that precision.
ConvertedTensor convert_tensor(const io::TensorSource& source, const io::TensorInfo& t, DType target) {
  size_t n = 1;
  for (int64_t d : t.shape) n *= static_cast<size_t>(d);
  ConvertedTensor out;
  out.entry.name = t.name;
  out.entry.shape = t.shape;
  const bool is_float = t.dtype == "F32" || t.dtype == "F16" || t.dtype == "BF16";
  if (!is_float || t.shape.size() < 2) {
    const size_t element = io::safetensors_dtype_size(t.dtype);
    if (element == 0)
      throw ModelError(fmt::format("{}: tensor {} has dtype {}, which safetensors cannot hold",
                                   source.path().string(), t.name, t.dtype));
    out.bytes.reset(new std::byte[n * element]);
    if (n) source.read(t, 0, n, out.bytes.get());
    out.entry.dtype = t.dtype;
    out.entry.data = {out.bytes.get(), n * element};
    return out;
  }
  const DType from = io::float_dtype(source, t);
  out.bytes.reset(new std::byte[n * dtype_size(target)]);
  constexpr size_t kChunk = 1 << 18;
  std::vector<std::byte> raw(std::min(n, kChunk) * dtype_size(from));
  std::vector<float> floats(std::min(n, kChunk));
  for (size_t first = 0; first < n; first += kChunk) {
    const size_t count = std::min(kChunk, n - first);
    source.read(t, first, count, raw.data());
    convert_to_f32(raw.data(), from, floats.data(), count);
    for (size_t i = 0; i < count; ++i)
      if (!io::representable(floats[i], target))
        throw ModelError(fmt::format(
            "{}: tensor {} holds {} at element {}, which {} cannot represent{}",
            source.path().string(), t.name, floats[i], first + i, dtype_name(target),
            target == DType::f16 ? "; convert to bf16 instead" : ""));
    convert_from_f32(floats.data(), target, out.bytes.get() + first * dtype_size(target), count);
  }
  out.entry.dtype = target == DType::f16 ? "F16" : "BF16";
  out.entry.data = {out.bytes.get(), n * dtype_size(target)};
  return out;
}

// A matrix an int8 run multiplies in int8, as int8 (I8 `<name>`) and its row scales (F32
// `<name>_scale`): rounded to fp16 first and quantized exactly as a run with --precision int8
// quantizes at load, so the converted directory scores the same bytes as the original does.
std::vector<ConvertedTensor> quantize_tensor(const io::TensorSource& source, const io::TensorInfo& t) {
  const Int8Matrix q = io::quantize_matrix(source, t, DType::f16);
  std::vector<ConvertedTensor> out(2);
  const auto copy = [](ConvertedTensor& c, const void* data, size_t bytes) {
    c.bytes.reset(new std::byte[bytes]);
    std::memcpy(c.bytes.get(), data, bytes);
    c.entry.data = {c.bytes.get(), bytes};
  };
  out[0].entry.name = t.name;
  out[0].entry.dtype = "I8";
  out[0].entry.shape = t.shape;
  copy(out[0], q.values.data(), q.values.size());
  out[1].entry.name = t.name + std::string(io::kInt8ScaleSuffix);
  out[1].entry.dtype = "F32";
  out[1].entry.shape = {t.shape[0]};
  copy(out[1], q.scales.data(), q.scales.size() * sizeof(float));
  return out;
}

// A HuggingFace hub snapshot's files are symlinks into ../../blobs/: the targets are copied (so the
// new directory stands alone), and paths are made relative lexically, since fs::relative would
// resolve the links and name the blob instead.
void copy_other_files(const fs::path& from, const fs::path& to) {
  for (const auto& entry : fs::recursive_directory_iterator(from)) {
    const fs::path relative = entry.path().lexically_relative(from);
    if (relative.begin()->string().starts_with(".")) continue;  // .git, .cache, ...
    if (entry.is_directory()) {
      fs::create_directories(to / relative);
    } else if (entry.is_regular_file() && !is_weights_file(entry.path())) {
      fs::create_directories((to / relative).parent_path());
      fs::copy_file(entry.path(), to / relative);
    }
  }
}

// SIGINT/SIGTERM end the conversion between steps; the temporary directory is then removed.
void stop_if_asked() {
  if (stop_requested()) throw Interrupted();
}

int run_convert(const ConvertOptions& o) {
  o.files.check();
  const fs::path dir = resolve_model_dir(o.model);
  const bool int8 = o.precision == "int8";
  const DType target = o.precision == "bf16" ? DType::bf16 : DType::f16;  // int8: the other matrices
  io::read_encoder_config(dir / "config.json");  // refuse a directory that is not a model first
  const auto source = io::open_weights(dir);
  const fs::path out = fs::absolute(o.output).lexically_normal();

  // Everything is written under a temporary name beside OUT_DIR and renamed at the end, so OUT_DIR
  // either does not exist or is complete.
  const fs::path temp = out.parent_path() / fmt::format(".{}.tmp-{}", out.filename().string(), getpid());
  fs::remove_all(temp);
  fs::create_directories(temp);
  try {
    std::vector<ConvertedTensor> converted;
    int quantized = 0;
    for (const io::TensorInfo& t : source->tensors()) {
      stop_if_asked();
      const bool is_float = t.dtype == "F32" || t.dtype == "F16" || t.dtype == "BF16";
      if (int8 && is_float && t.shape.size() == 2 && io::int8_product_matrix(t.name)) {
        for (ConvertedTensor& c : quantize_tensor(*source, t)) converted.push_back(std::move(c));
        ++quantized;
      } else {
        converted.push_back(convert_tensor(*source, t, target));
      }
    }
    std::sort(converted.begin(), converted.end(), [](const ConvertedTensor& a, const ConvertedTensor& b) {
      const int ra = dtype_rank(a.entry.dtype), rb = dtype_rank(b.entry.dtype);
      return ra != rb ? ra > rb : a.entry.name < b.entry.name;
    });
    std::vector<io::SafetensorsTensor> entries;
    size_t bytes = 0;
    for (const ConvertedTensor& c : converted) {
      entries.push_back(c.entry);
      bytes += c.entry.data.size();
    }
    try {
      std::map<std::string, std::string> metadata{{"format", "pt"}};
      if (int8) {
        metadata[std::string(io::kQuantizationKey)] = "int8";
        metadata[std::string(io::kInt8BitsKey)] = int8_weight_limit() == 127 ? "8" : "7";
      }
      io::write_safetensors(temp / "model.safetensors", entries, metadata);
    } catch (const std::runtime_error& e) {
      throw ResourceError(e.what());
    }
    stop_if_asked();
    copy_other_files(dir, temp);
    stop_if_asked();
    fs::rename(temp, out);
    const std::string matrices =
        int8 ? fmt::format("{} matrices in int8 with {}-bit weights for this CPU's int8 kernels, the others in fp16",
                           quantized, int8_weight_limit() == 127 ? 8 : 7)
             : fmt::format("matrices in {}", dtype_name(target));
    print_error("simscore: wrote {} ({} tensors, {:.1f} MiB, {})\n", out.string(), entries.size(),
                static_cast<double>(bytes) / 1048576.0, matrices);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(temp, ignored);
    throw;
  }
  return kSuccess;
}

}  // namespace

Run add_convert_command(CLI::App& app) {
  auto options = std::make_shared<ConvertOptions>();
  CLI::App* command = app.add_subcommand(
      "convert",
      "Write a copy of a model directory with half-precision (or int8) weights in model.safetensors");
  command->add_option("--model,-m", options->model,
                      "Model directory or cached ORG/NAME[@REVISION] to convert (default: $SIMSCORE_MODEL, "
                      "else the default model)")
      ->check(model_spec_given());
  command->add_option("--precision", options->precision,
                      "fp16 (default), bf16, or int8 (the matrices --precision int8 multiplies in int8 "
                      "stored as int8 with a scale per row, for this CPU's int8 kernels; the others fp16)")
      ->check(CLI::IsMember({"fp16", "bf16", "int8"}));
  options->files.add_model(options->model);
  options->files.add_output(*command, "OUT_DIR", options->output, "The new model directory (must not exist)",
                            "the converted model", OutputKind::new_directory)
      ->required();
  return [command, options] { return command->parsed() ? run_convert(*options) : -1; };
}

}  // namespace simscore::cli
