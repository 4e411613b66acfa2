#pragma once
// A read-only view of a weight tensor: its element type, shape and bytes. The bytes live in a mapped
// file or in a buffer owned by ModelWeights; a view never owns them.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace simscore {

enum class DType { f32, f16, bf16 };

constexpr size_t dtype_size(DType dtype) { return dtype == DType::f32 ? 4 : 2; }
std::string_view dtype_name(DType dtype);

struct TensorView {
  DType dtype = DType::f32;
  std::vector<int64_t> shape;
  const void* data = nullptr;

  int64_t elements() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  size_t bytes() const { return static_cast<size_t>(elements()) * dtype_size(dtype); }
};

}  // namespace simscore
