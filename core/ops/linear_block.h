#pragma once
// The encoder's matrix products on oneDNN: a LinearBlock is the oneDNN implementation of Product
// (core/ops/product.h). Products accumulate in fp32 in both compute precisions; the bias, the
// running sum and the activation (GELU, ReLU) run in fp32 in the product's epilogue. The block is
// either reordered once into the blocked layout oneDNN's kernels read (prepacked: a copy in the
// compute precision) or read as stored and widened to fp32 just before each product into the
// caller's scratch (streamed: no copy; blocks of about 4 MiB keep the scratch small and the
// products at full speed).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/model/config.h"
#include "core/model/weights.h"
#include "core/ops/product.h"

namespace simscore {

// Whether this CPU runs bf16 products natively (AMX tiles or AVX512-BF16), after asking the kernel
// for the AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM) where the CPU has AMX, and as far as
// $ONEDNN_MAX_CPU_ISA lets oneDNN use them.
struct Bf16Support {
  bool available = false;
  bool amx = false;
  std::string description;  // e.g. "AVX512-BF16 (no AMX on this CPU)"
};
const Bf16Support& bf16_support();

class LinearBlock final : public Product {
 public:
  LinearBlock(const BlockSpec& spec, ComputePrecision precision, WeightLayout layout);
  ~LinearBlock();
  LinearBlock(LinearBlock&&) noexcept;
  LinearBlock& operator=(LinearBlock&&) noexcept;

  // x is [rows, inputs()] (fp32, or bf16 as input_dtype() says); y as the spec says. Streamed
  // weights are widened into `scratch`, which holds scratch_floats() floats; with row_chunks() a
  // last partial chunk of rows is padded there too, so pass it whenever scratch_floats() is not 0.
  void operator()(const void* x, int rows, void* y, float* scratch = nullptr) const override;

  int inputs() const override { return spec_.inputs; }
  int outputs() const override { return spec_.outputs; }
  DType input_dtype() const override {
    return precision_ == ComputePrecision::bf16 ? DType::bf16 : DType::f32;
  }
  size_t scratch_floats() const override;  // 0 when prepacked without row chunks
  size_t bytes() const override;           // the prepacked copy (0 when streamed)
  // oneDNN's implementation, e.g. "brg:avx512_core_amx_bf16".
  std::string kernel_name() const override;

  // What a LinearBlock for this spec allocates, without building it (spec.layer may be null): the
  // size of oneDNN's blocked layout for the block, asked of the same primitive descriptor.
  static ProductCost cost(const BlockSpec& spec, ComputePrecision precision, WeightLayout layout);

  // Whether products run in chunks of kRowChunk rows, each on one thread (a kernel that is not
  // row-invariant by itself, and every bf16 product).
  bool row_chunks() const;
  static constexpr int kRowChunk = 64;

 private:
  struct Impl;
  static void describe(Impl& impl, const BlockSpec& spec, ComputePrecision precision, WeightLayout layout);
  std::unique_ptr<Impl> impl_;
  BlockSpec spec_;
  ComputePrecision precision_ = ComputePrecision::f32;
};

// All of y[rows, out] = act(x W^T + b) for one matrix, rows of y `ldy` apart (0: out): one block
// when prepacked, blocks of about 4 MiB of output features when streamed.
std::vector<LinearBlock> matrix_product(const Linear& layer, ComputePrecision precision, WeightLayout layout,
                                        int ldy = 0, std::optional<Activation> activation = std::nullopt);
void run_blocks(const std::vector<LinearBlock>& blocks, const void* x, int rows, void* y, float* scratch);

// dst = bf16(src) for rows x cols, rounded to nearest even, rows split across threads.
void convert_rows_to_bf16(const float* src, size_t rows, size_t cols, void* dst);

}  // namespace simscore
