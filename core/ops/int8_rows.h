#pragma once
// The two fp32 passes around the int8 kernel (core/ops/int8_linear.h): a product's input quantized
// per row, and the kernel's s32 sums turned back into fp32 outputs. Each is one vectorized pass per
// row in the variant of simscore's own kernels this CPU runs (core/cpu/isa.h), with no allocation;
// every row is computed from that row alone, so a row's bytes never depend on the batch.

#include <cstdint>
#include <optional>

#include "core/model/config.h"

namespace simscore {

// x[rows, cols] -> q[rows, cols] + shift, scale per row: x ~= scale[r] * q[r, :], q in [-127, 127],
// rounded to nearest (ties to even). `shift` is 0 for s8 or 128 for u8 (q + 128 fits a byte). A row
// holding an infinity or a NaN quantizes to zeros (plus the shift) with a NaN scale, so its outputs
// are NaN, not a number.
void quantize_rows(const float* x, int rows, int cols, int shift, uint8_t* q, float* scales);

// What the fp32 pass after the kernel does with a row's s32 sums s[n]:
//   y[n] (+)= act((s[n] - shift_sums[n]) * (column_scales[n] * row_scale) + bias[n])
struct Int8Epilogue {
  const int32_t* shift_sums = nullptr;   // [n]: the +128 shift's share of each sum (zeros for s8)
  const float* column_scales = nullptr;  // [n]: the weights' scale per output
  const float* bias = nullptr;           // [n], or null
  bool accumulate = false;               // y += ... (before the activation) instead of y = ...
  std::optional<Activation> activation;
};
// sums[rows, n] (`ld_sums` between rows) and row_scales[rows] -> y[rows, n] (`ldy` between rows).
// `sums` may be y itself (ld_sums == ldy, no running sum): each element is read, then overwritten.
void dequantize_rows(const int32_t* sums, int ld_sums, const float* row_scales, int rows, int n,
                     const Int8Epilogue& epilogue, float* y, int ldy);

}  // namespace simscore
