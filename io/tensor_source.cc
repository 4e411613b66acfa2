#include "io/tensor_source.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/errors.h"
#include "io/safetensors.h"
#include "io/torch_checkpoint.h"

namespace simscore::io {
namespace {

// A safetensors file seen as a TensorSource.
class SafetensorsSource final : public TensorSource {
 public:
  explicit SafetensorsSource(std::shared_ptr<const SafetensorsFile> file) : file_(std::move(file)) {
    for (const SafetensorsEntry& e : file_->entries()) tensors_.push_back({e.name, e.dtype, e.shape});
  }
  const std::filesystem::path& path() const override { return file_->path(); }
  const std::vector<TensorInfo>& tensors() const override { return tensors_; }
  const TensorInfo* find(std::string_view name) const override {
    const auto it = std::find_if(tensors_.begin(), tensors_.end(),
                                 [&](const TensorInfo& t) { return t.name == name; });
    return it == tensors_.end() ? nullptr : &*it;
  }
  const std::byte* mapped(const TensorInfo& tensor) const override {
    return file_->mapped(entry(tensor)).data();
  }
  void read(const TensorInfo& tensor, size_t first, size_t count, std::byte* out) const override {
    SafetensorsEntry part = entry(tensor);
    const size_t element = safetensors_dtype_size(part.dtype);
    part.offset += first * element;
    part.size = count * element;
    file_->read(part, std::span(out, part.size));
  }
  std::string metadata(const std::string& key) const override {
    const auto found = file_->metadata().find(key);
    return found == file_->metadata().end() ? std::string() : found->second;
  }

 private:
  const SafetensorsEntry& entry(const TensorInfo& tensor) const { return *file_->find(tensor.name); }

  std::shared_ptr<const SafetensorsFile> file_;
  std::vector<TensorInfo> tensors_;
};

}  // namespace

DType float_dtype(const TensorSource& source, const TensorInfo& tensor) {
  if (tensor.dtype == "F32") return DType::f32;
  if (tensor.dtype == "F16") return DType::f16;
  if (tensor.dtype == "BF16") return DType::bf16;
  throw ModelError(fmt::format("{}: tensor {} has dtype {}; weights must be F32, F16 or BF16",
                               source.path().string(), tensor.name, tensor.dtype));
}

std::shared_ptr<const TensorSource> open_weights(const std::filesystem::path& dir) {
  const auto path = dir / "model.safetensors";
  // A name that cannot be resolved (a symlink loop) is a broken model directory, not an I/O fault.
  std::error_code unresolvable;
  if (!std::filesystem::exists(path, unresolvable) && unresolvable)
    throw ModelError(fmt::format("{}: cannot open: {}", path.string(), unresolvable.message()));
  if (std::filesystem::exists(path))
    return std::make_shared<SafetensorsSource>(SafetensorsFile::open(path));
  // ModelScope and older HuggingFace exports ship only a torch.save checkpoint.
  if (std::filesystem::exists(dir / "pytorch_model.bin"))
    return open_torch_checkpoint(dir / "pytorch_model.bin");
  std::string hint;
  if (std::filesystem::exists(dir / "model.safetensors.index.json"))
    hint = " (sharded safetensors are not supported)";
  throw ModelError(fmt::format("{}: missing, and there is no pytorch_model.bin either{}",
                               path.string(), hint));
}

}  // namespace simscore::io
