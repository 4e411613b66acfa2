#pragma once
// The int8 matrix product: y[rows, n] (+)= act(x[rows, k] * W_block^T + b), with W symmetric int8,
// one fp32 scale per output row (feature), quantized once from fp32/fp16/bf16 storage, and x
// quantized per row (token) at every call. oneDNN multiplies u8 x s8 -> s32 (x shifted by +128; the
// shift's contribution 128 * sum_k W[n, k] is precomputed per output and subtracted); one pass then
// dequantizes with the row and column scales and adds the bias, the running sum and the activation,
// all in fp32. Both passes are vectorized kernels of their own (core/ops/int8_rows.h); the kernel
// runs a block of rows at a time so that pass reads the sums back from cache. What this costs in
// accuracy is the two roundings: half a step of each row's scale (largest magnitude / 127 for x,
// / int8_weight_limit() for W) per element; tests/int8_test.cc states the bound.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/ops/product.h"

namespace simscore {

// The largest weight magnitude the int8 product may use here: 127 where oneDNN runs VNNI (or AMX)
// int8 kernels, 63 otherwise. Without VNNI, oneDNN's AVX2 kernels add pairs of u8 x s8 products in
// 16 bits with saturation (vpmaddubsw): 2 * 255 * 127 overflows, 2 * 255 * 63 does not. Measured:
// with 127, sums on random integers came out wrong by hundreds (tests/int8_test.cc, ExactAtTheExtremes).
int int8_weight_limit();
// "VNNI (avx512_core_vnni)" or "none (oneDNN ISA avx2): weights limited to 7 bits".
std::string int8_kernel_isa();

// W[first_out .., first_in ..] of spec.layer as int8 values (row-major [outputs, inputs]) and one
// scale per row: W ~= scale[r] * values[r, :], scale = max|W[r, :]| / limit (0 for a zero row),
// limit = int8_weight_limit() unless given.
struct Int8Matrix {
  int rows = 0, cols = 0;
  std::vector<int8_t> values;
  std::vector<float> scales;
};
Int8Matrix quantize_weight_rows(const BlockSpec& spec, int limit = int8_weight_limit());
// The same for a row-major fp32 matrix w[rows, cols] (`simscore convert --precision int8` writes
// what a run quantizing at load would make); `first_row` only names rows in errors.
Int8Matrix quantize_matrix_rows(const float* w, int rows, int cols, int limit, int first_row = 0);

// How activations enter oneDNN's product: u8 after a +128 shift (the form int8 kernels without
// VNNI multiply natively; the shift's share is precomputed per output and subtracted), or s8 as
// quantized (oneDNN then compensates internally).
enum class Int8Source { u8_shifted, s8 };

// The int8 implementation of Product (core/ops/product.h): make_product builds it for a backend
// whose precision is ComputePrecision::int8.
class Int8Linear final : public Product {
 public:
  // spec as for LinearBlock; spec.output must be f32. With spec.layer->int8 (which must then
  // outlive the product) the stored values and scales are used, read in place where oneDNN's
  // kernel takes W as stored, else reordered once; otherwise W is quantized here (a copy).
  explicit Int8Linear(const BlockSpec& spec, Int8Source source = Int8Source::u8_shifted);
  ~Int8Linear();
  Int8Linear(Int8Linear&&) noexcept;
  Int8Linear& operator=(Int8Linear&&) noexcept;

  // x is fp32 [rows, inputs()]; y as the spec says. The quantized x, its scales and the s32 sums
  // live in `scratch`, 64-byte aligned, which holds scratch_floats(rows) floats
  // (scratch_bytes(rows, inputs(), outputs()) bytes).
  void operator()(const void* x, int rows, void* y, float* scratch) const override;

  int inputs() const override { return spec_.inputs; }
  int outputs() const override { return spec_.outputs; }
  DType input_dtype() const override { return DType::f32; }
  // The scratch: a fixed part, the alignment of its three buffers and one block of rows' s32 sums
  // (the kernel runs a block of rows at a time), and per row the quantized inputs (a byte each) and
  // the row's scale.
  size_t scratch_floats() const override { return fixed_floats(spec_.outputs); }
  using Product::scratch_floats;  // scratch_floats(rows)
  size_t scratch_floats_per_row() const override { return per_row_floats(spec_.inputs); }
  // The int8 weights as oneDNN holds them (none where it reads Linear::int8 in place), the
  // scales and the shift's sums.
  size_t bytes() const override;
  static size_t scratch_bytes(size_t rows, size_t inputs, size_t outputs);
  std::string kernel_name() const override;      // oneDNN's implementation, e.g. "gemm:jit"

  // What an Int8Linear for this spec allocates, without quantizing anything (spec.layer may be
  // null): oneDNN's int8 weight layout asked of the same primitive descriptor, and the scratch.
  // It counts weights stored as int8 (Linear::int8), as every int8 run loads them: where oneDNN's
  // kernel reads them as stored, no copy.
  static ProductCost cost(const BlockSpec& spec);

 private:
  static constexpr size_t kScratchFixedFloats = 32;  // two buffers padded to 64 bytes
  // Rows per kernel call: its sums (int32, `outputs` a row) fit in about 1 MiB, so the epilogue
  // reads them back from cache.
  static int block_rows(int outputs);
  static size_t fixed_floats(int outputs) {
    return kScratchFixedFloats + static_cast<size_t>(block_rows(outputs)) * static_cast<size_t>(outputs);
  }
  static size_t per_row_floats(size_t inputs) { return (inputs + 3) / 4 + 1; }
  struct Impl;
  std::unique_ptr<Impl> impl_;
  BlockSpec spec_;
};

}  // namespace simscore
