#pragma once
// The encoder's matrix products behind one interface. A Product multiplies a batch of rows by one
// block of one stored weight matrix W [out, in]:
//   y[rows, n] (+)= act(x[rows, k] * W[first_out .. first_out + n, first_in .. first_in + k]^T + b)
// with fp32 sums and, where the implementation fuses it, the bias, the running sum and the
// activation in an fp32 epilogue. What runs it is a value, ProductBackend (which library, which
// compute precision, how the weights are held), settled once per model and carried by the
// EncoderPlan.
//
// Adding a product (an int8 kernel, a device) is one new implementation of Product plus a value:
//   1. a ComputePrecision (e.g. int8) or GemmBackend value (e.g. a device);
//   2. a class deriving from Product, in its own file under core/ops/;
//   3. one case in make_product() (build it) and one in plan_product() (what it will allocate, from
//      shapes alone, so memory planning, `inspect` and the report agree before any weight is read);
//   4. ProductBackend::for_storage() saying when a run gets it.
// The encoder, the plan, the workspace and the report then use it unchanged.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/model/config.h"
#include "core/model/weights.h"
#include "core/ops/gemm.h"

namespace simscore {

// What the matrix products read: fp32, bf16 (inputs and weights rounded to bf16, fp32 sums), or
// int8 (weights per output row, inputs per token; s32 sums dequantized in fp32: core/ops/int8_linear.h).
enum class ComputePrecision { f32, bf16, int8 };

// Whether a run quantizes its products to int8 (--precision int8), whatever the storage.
enum class Quantization { none, int8 };

enum class WeightLayout {
  prepacked,  // a copy in the library's blocked layout, made once
  streamed,   // as stored, widened to fp32 per product into the caller's scratch (fp32 compute)
};

// What runs the products: a value, chosen once per model (never re-derived from a global).
struct ProductBackend {
  GemmBackend kind = GemmBackend::onednn;
  ComputePrecision precision = ComputePrecision::f32;
  WeightLayout layout = WeightLayout::streamed;
  // Read only where precision is int8 (ffn_output_backend, core/encoder/encoder_plan.h).
  Int8FfnOutput int8_ffn_output = Int8FfnOutput::int8;

  // What a run with `kind` gets for weights stored as `storage`: bf16 products only for bf16
  // weights on a CPU with native bf16 products (AMX, AVX512-BF16) and a oneDNN backend; weights
  // prepacked for bf16 products and with onednn_prepacked, streamed otherwise (OpenBLAS: widened
  // per product, never copied). With Quantization::int8 and a oneDNN backend: int8 products, each
  // holding its own quantized copy (layout prepacked), the FFN output's as `ffn_output` says;
  // OpenBLAS has no int8 products (fp32 then).
  static ProductBackend for_storage(GemmBackend kind, DType storage,
                                    Quantization quantization = Quantization::none,
                                    Int8FfnOutput ffn_output = Int8FfnOutput::int8);

  DType activation_dtype() const { return precision == ComputePrecision::bf16 ? DType::bf16 : DType::f32; }
  bool operator==(const ProductBackend&) const = default;
};

// Which block of which matrix a product multiplies by, and what its epilogue does. In a plan (no
// weights yet) `layer` is null and the shape fields alone describe the block.
struct BlockSpec {
  const Linear* layer = nullptr;  // must outlive the product (its bias is read in place)
  int first_out = 0, outputs = 0;  // rows of W: the output features, columns of y
  int first_in = 0, inputs = 0;    // columns of W: the input features, columns of x
  bool bias = true;                // add b[first_out .. first_out + outputs]
  bool accumulate = false;         // y += product (before the activation) instead of y = product
  std::optional<Activation> activation;
  DType output = DType::f32;       // y's type: f32, or bf16 to feed a bf16 product directly
  int ldy = 0;                     // elements between rows of y (0: outputs)
};

class Product {
 public:
  virtual ~Product() = default;
  // x is [rows, inputs()] in input_dtype(); y as the spec says. Weights used as stored are widened
  // into `scratch`, which holds scratch_floats(rows) floats (may be null when that is 0).
  virtual void operator()(const void* x, int rows, void* y, float* scratch) const = 0;
  virtual int inputs() const = 0;
  virtual int outputs() const = 0;
  virtual DType input_dtype() const = 0;
  virtual size_t scratch_floats() const = 0;  // 0 when the weights are prepacked (and nothing grows with rows)
  // Scratch that grows with the rows of a call (int8: the quantized rows and their s32 sums); a
  // call with `rows` rows needs scratch_floats(rows) floats, 64-byte aligned.
  virtual size_t scratch_floats_per_row() const { return 0; }
  size_t scratch_floats(size_t rows) const { return scratch_floats() + rows * scratch_floats_per_row(); }
  virtual size_t bytes() const = 0;           // the prepacked copy (0 when used as stored)
  // The implementation's own name for its kernel, e.g. "brg:avx512_core_amx_bf16".
  virtual std::string kernel_name() const = 0;
};

// The product `backend` runs for `spec` (spec.layer set).
std::unique_ptr<Product> make_product(const BlockSpec& spec, const ProductBackend& backend);

// Blocks of output features of one matrix, each writing its own (fp32) columns of y.
void run_blocks(const std::vector<std::unique_ptr<Product>>& blocks, const void* x, int rows, void* y,
                float* scratch);

// What make_product(spec, backend) will allocate, from shapes alone (spec.layer may be null; the
// weights would be stored as `storage`).
struct ProductCost {
  size_t packed_bytes = 0;
  size_t scratch_floats = 0;
  size_t scratch_floats_per_row = 0;  // as Product::scratch_floats_per_row
  size_t scratch_floats_for(size_t rows) const { return scratch_floats + rows * scratch_floats_per_row; }
  bool operator==(const ProductCost&) const = default;
};
ProductCost plan_product(const BlockSpec& spec, DType storage, const ProductBackend& backend);

}  // namespace simscore
