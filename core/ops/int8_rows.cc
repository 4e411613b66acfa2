// Compiled once per CpuIsa (core/cpu/isa_kernels.h says how and why).
#include "core/cpu/isa_kernels.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <immintrin.h>
#include <limits>

#include "core/ops/activation_row.h"
#include "core/ops/int8_rows.h"

namespace simscore::SIMSCORE_ISA_NS {
namespace {

// The largest |v[i]|, or NaN when v holds an infinity or a NaN. Compared as the magnitudes' bit
// patterns, integers that order as the magnitudes do, with an infinity or a NaN above every finite
// value (an integer max has no NaN to lose, and a one-cycle dependency from one step to the next).
float largest_magnitude(const float* v, int n) {
  constexpr uint32_t kMagnitude = 0x7fffffffu, kInfinity = 0x7f800000u;
  int i = 0;
  uint32_t largest = 0;
#if defined(__AVX512F__)
  const __m512i magnitude = _mm512_set1_epi32(static_cast<int>(kMagnitude));
  __m512i big = _mm512_setzero_si512();
  for (; i + 16 <= n; i += 16)
    big = _mm512_max_epu32(big, _mm512_and_si512(_mm512_loadu_si512(v + i), magnitude));
  largest = _mm512_reduce_max_epu32(big);
#elif defined(__AVX2__)
  const __m256i magnitude = _mm256_set1_epi32(static_cast<int>(kMagnitude));
  __m256i big = _mm256_setzero_si256();
  for (; i + 8 <= n; i += 8) {
    const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + i));
    big = _mm256_max_epu32(big, _mm256_and_si256(bits, magnitude));
  }
  alignas(32) uint32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), big);
  for (uint32_t lane : lanes) largest = std::max(largest, lane);
#endif
  for (; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, v + i, sizeof bits);
    largest = std::max(largest, bits & kMagnitude);
  }
  if (largest >= kInfinity) return std::numeric_limits<float>::quiet_NaN();
  float value;
  std::memcpy(&value, &largest, sizeof value);
  return value;
}

// out[i] = nearbyint(v[i] * inverse) as a signed byte, XOR `flip` (0x80 turns q into q + 128 as u8).
// The vector conversions round to nearest, ties to even, as nearbyint does in the default mode.
void round_row(const float* v, int n, float inverse, uint8_t flip, uint8_t* out) {
  int i = 0;
#if defined(__AVX512F__)
  const __m512 scale = _mm512_set1_ps(inverse);
  const __m128i bits = _mm_set1_epi8(static_cast<char>(flip));
  for (; i + 16 <= n; i += 16) {
    const __m128i q = _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(v + i), scale)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm_xor_si128(q, bits));
  }
#elif defined(__AVX2__)
  const __m256 scale = _mm256_set1_ps(inverse);
  const __m128i bits = _mm_set1_epi8(static_cast<char>(flip));
  for (; i + 8 <= n; i += 8) {
    const __m256i q32 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(v + i), scale));
    const __m128i q16 = _mm_packs_epi32(_mm256_castsi256_si128(q32), _mm256_extracti128_si256(q32, 1));
    const __m128i q8 = _mm_xor_si128(_mm_packs_epi16(q16, q16), bits);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), q8);
  }
#endif
  for (; i < n; ++i)
    out[i] = static_cast<uint8_t>(static_cast<int8_t>(std::nearbyint(v[i] * inverse))) ^ flip;
}

}  // namespace

void quantize_rows(const float* x, int rows, int cols, int shift, uint8_t* q, float* scales) {
  const auto flip = static_cast<uint8_t>(shift == 128 ? 0x80 : 0);
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) {
    const float* v = x + static_cast<size_t>(r) * cols;
    uint8_t* out = q + static_cast<size_t>(r) * cols;
    const float largest = largest_magnitude(v, cols);
    if (!std::isfinite(largest) || largest == 0.0f) {  // NaN products would be undefined as ints
      scales[r] = largest == 0.0f ? 0.0f : std::numeric_limits<float>::quiet_NaN();
      std::memset(out, flip, static_cast<size_t>(cols));
      continue;
    }
    scales[r] = largest / 127.0f;
    round_row(v, cols, 127.0f / largest, flip, out);
  }
}

void dequantize_rows(const int32_t* sums, int ld_sums, const float* row_scales, int rows, int n,
                     const Int8Epilogue& e, float* y, int ldy) {
  using Array = Eigen::ArrayXf;
  const Eigen::Map<const Eigen::ArrayXi> shift_sums(e.shift_sums, n);
  const Eigen::Map<const Array> column_scales(e.column_scales, n);
  const float* bias_data = e.bias ? e.bias : e.column_scales;  // mapped, never read, without a bias
  const Eigen::Map<const Array> bias(bias_data, n);
#pragma omp parallel for schedule(static)
  for (int m = 0; m < rows; ++m) {
    const Eigen::Map<const Eigen::ArrayXi> sum(sums + static_cast<size_t>(m) * ld_sums, n);
    Eigen::Map<Array> out(y + static_cast<size_t>(m) * ldy, n);
    const auto value = (sum - shift_sums).cast<float>() * (column_scales * row_scales[m]);
    if (e.bias && e.accumulate) {
      out = value + bias + out;
    } else if (e.bias) {
      out = value + bias;
    } else if (e.accumulate) {
      out = value + out;
    } else {
      out = value;
    }
    if (e.activation) apply_activation(out, *e.activation);
  }
}

}  // namespace simscore::SIMSCORE_ISA_NS

#ifdef SIMSCORE_ISA_DISPATCHER
namespace simscore {

SIMSCORE_ISA_VARIANTS(void quantize_rows(const float*, int, int, int, uint8_t*, float*))
SIMSCORE_ISA_VARIANTS(void dequantize_rows(const int32_t*, int, const float*, int, int, const Int8Epilogue&, float*,
                                           int))

void quantize_rows(const float* x, int rows, int cols, int shift, uint8_t* q, float* scales) {
  SIMSCORE_ISA_CALL(quantize_rows, x, rows, cols, shift, q, scales);
}

void dequantize_rows(const int32_t* sums, int ld_sums, const float* row_scales, int rows, int n,
                     const Int8Epilogue& epilogue, float* y, int ldy) {
  SIMSCORE_ISA_CALL(dequantize_rows, sums, ld_sums, row_scales, rows, n, epilogue, y, ldy);
}

}  // namespace simscore
#endif
