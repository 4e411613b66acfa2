#pragma once
// A checkpoint's tensors by name, whatever the file format (safetensors, a PyTorch checkpoint), so
// the code that maps tensor names onto an encoder is written once.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/tensor.h"

namespace simscore::io {

struct TensorInfo {
  std::string name;
  std::string dtype;  // safetensors spelling: "F32", "F16", "BF16", "I64", ...
  std::vector<int64_t> shape;
};

class TensorSource {
 public:
  virtual ~TensorSource() = default;
  virtual const std::filesystem::path& path() const = 0;
  virtual const std::vector<TensorInfo>& tensors() const = 0;
  // nullptr when there is no tensor of that name.
  virtual const TensorInfo* find(std::string_view name) const = 0;
  // The tensor's contiguous bytes in place (memory-mapped), or nullptr when the format cannot give
  // them without a copy. Valid while the source lives.
  virtual const std::byte* mapped(const TensorInfo& tensor) const = 0;
  // Copies `count` elements starting at element `first` (row-major order) into `out`, in the
  // tensor's own dtype, without mapping the file. Throws ModelError on an I/O problem.
  virtual void read(const TensorInfo& tensor, size_t first, size_t count, std::byte* out) const = 0;
  // A free-form string the file carries about itself (safetensors' "__metadata__"), "" when absent.
  virtual std::string metadata(const std::string& /*key*/) const { return {}; }
};

// The storage DType of a tensor, or ModelError naming the source and tensor for other dtypes.
DType float_dtype(const TensorSource& source, const TensorInfo& tensor);

// Opens the weights of a model directory: model.safetensors, else pytorch_model.bin (ModelError when
// neither is there, with a hint about other formats found).
std::shared_ptr<const TensorSource> open_weights(const std::filesystem::path& model_dir);

}  // namespace simscore::io
