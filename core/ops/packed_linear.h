#pragma once
// A Linear layer's weights reordered once into the blocked layout oneDNN's matmul kernels read, so
// no product ever re-packs or widens a weight matrix. Products accumulate in fp32 in both compute
// precisions; the bias and the activation (GELU, ReLU) run in fp32 inside the product's epilogue.

#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/model/config.h"
#include "core/model/weights.h"

namespace simscore {

// What the matrix products read: fp32, or bf16 (inputs and weights rounded to bf16, fp32 sums).
enum class ComputePrecision { f32, bf16 };

// Whether this CPU runs bf16 products natively (AMX tiles or AVX512-BF16), after asking the kernel
// for the AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM) where the CPU has AMX.
struct Bf16Support {
  bool available = false;
  bool amx = false;
  std::string description;  // e.g. "AVX512-BF16 (no AMX on this CPU)"
};
const Bf16Support& bf16_support();

// The precision the encoder computes in for weights stored as `storage`: bf16 only for bf16 weights
// on a CPU with native bf16 products and with the oneDNN backend; fp32 otherwise.
ComputePrecision compute_precision_for(DType storage);

class PackedLinear {
 public:
  // Packs `layers` side by side along the output dimension (Q, K and V become one product). They
  // must share in_features. `output` is f32, or bf16 to feed the next product directly.
  PackedLinear(std::span<const Linear* const> layers, ComputePrecision precision,
               std::optional<Activation> activation = std::nullopt, DType output = DType::f32);
  ~PackedLinear();
  PackedLinear(PackedLinear&&) noexcept;
  PackedLinear& operator=(PackedLinear&&) noexcept;

  // y[rows, out] = act(x[rows, in] W^T + b). x is fp32 or bf16 as precision() says; y is output().
  void operator()(const void* x, int rows, void* y) const;

  int in_features() const { return in_; }
  int out_features() const { return out_; }
  ComputePrecision precision() const { return precision_; }
  DType input_dtype() const { return precision_ == ComputePrecision::bf16 ? DType::bf16 : DType::f32; }
  DType output() const { return output_; }
  size_t bytes() const;  // the packed weights
  // oneDNN's implementation, e.g. "brg:avx512_core_amx_bf16".
  std::string kernel_name() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int in_ = 0, out_ = 0;
  ComputePrecision precision_ = ComputePrecision::f32;
  DType output_ = DType::f32;
};

// dst = bf16(src) for rows x cols, rounded to nearest even, rows split across threads.
void convert_rows_to_bf16(const float* src, size_t rows, size_t cols, void* dst);

}  // namespace simscore
