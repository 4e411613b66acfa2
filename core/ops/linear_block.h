#pragma once
// The encoder's matrix products on oneDNN. A LinearBlock is one product with a block of one stored
// weight matrix W [out, in]:
//   y[rows, n] (+)= act(x[rows, k] * W[first_out .. first_out + n, first_in .. first_in + k]^T + b)
// Products accumulate in fp32 in both compute precisions; the bias, the running sum and the
// activation (GELU, ReLU) run in fp32 in the product's epilogue. The block is either reordered once
// into the blocked layout oneDNN's kernels read (prepacked: a copy in the compute precision) or read
// as stored and widened to fp32 just before each product into the caller's scratch (streamed: no
// copy; blocks of about 4 MiB keep the scratch small and the products at full speed).

#include <memory>
#include <optional>
#include <string>
#include <vector>

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
// on a CPU with native bf16 products and with a oneDNN backend; fp32 otherwise.
ComputePrecision compute_precision_for(DType storage);

enum class WeightLayout {
  prepacked,  // a copy in oneDNN's blocked layout, made once
  streamed,   // as stored, widened to fp32 per product into the caller's scratch (fp32 compute)
};

// How the encoder's products hold weights stored as `storage` with a oneDNN backend: bf16 products
// prepacked (AMX and AVX512-BF16 kernels read a blocked layout), fp32 products streamed unless the
// backend is onednn_prepacked.
WeightLayout weight_layout_for(DType storage);

// Which block of which matrix a LinearBlock multiplies by, and what its epilogue does.
struct BlockSpec {
  const Linear* layer = nullptr;  // must outlive the block (its bias is read in place)
  int first_out = 0, outputs = 0;  // rows of W: the output features, columns of y
  int first_in = 0, inputs = 0;    // columns of W: the input features, columns of x
  bool bias = true;                // add b[first_out .. first_out + outputs]
  bool accumulate = false;         // y += product (before the activation) instead of y = product
  std::optional<Activation> activation;
  DType output = DType::f32;       // y's type: f32, or bf16 to feed a bf16 product directly
  int ldy = 0;                     // elements between rows of y (0: outputs)
};

class LinearBlock {
 public:
  LinearBlock(const BlockSpec& spec, ComputePrecision precision, WeightLayout layout);
  ~LinearBlock();
  LinearBlock(LinearBlock&&) noexcept;
  LinearBlock& operator=(LinearBlock&&) noexcept;

  // x is [rows, inputs()] (fp32, or bf16 as input_dtype() says); y as the spec says. Streamed
  // weights are widened into `scratch`, which holds scratch_floats() floats.
  void operator()(const void* x, int rows, void* y, float* scratch = nullptr) const;

  int inputs() const { return spec_.inputs; }
  int outputs() const { return spec_.outputs; }
  DType input_dtype() const { return precision_ == ComputePrecision::bf16 ? DType::bf16 : DType::f32; }
  size_t scratch_floats() const;  // 0 when prepacked
  size_t bytes() const;           // the prepacked copy (0 when streamed)
  // oneDNN's implementation, e.g. "brg:avx512_core_amx_bf16".
  std::string kernel_name() const;

 private:
  struct Impl;
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
