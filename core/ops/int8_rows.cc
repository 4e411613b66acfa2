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

// The largest |v[i]|, or NaN when v holds an infinity or a NaN (each v[i] * 0 is then NaN, and a
// sum of them stays NaN; the largest magnitude alone could miss a NaN).
float largest_magnitude(const float* v, int n) {
  int i = 0;
  float largest = 0.0f, poison = 0.0f;
#if defined(__AVX512F__)
  __m512 big = _mm512_setzero_ps(), bad = _mm512_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    const __m512 x = _mm512_loadu_ps(v + i);
    big = _mm512_max_ps(big, _mm512_abs_ps(x));
    bad = _mm512_add_ps(bad, _mm512_mul_ps(x, _mm512_setzero_ps()));
  }
  largest = _mm512_reduce_max_ps(big);
  poison = _mm512_reduce_add_ps(bad);
#elif defined(__AVX2__)
  const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  __m256 big = _mm256_setzero_ps(), bad = _mm256_setzero_ps();
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_loadu_ps(v + i);
    big = _mm256_max_ps(big, _mm256_and_ps(x, magnitude));
    bad = _mm256_add_ps(bad, _mm256_mul_ps(x, _mm256_setzero_ps()));
  }
  alignas(32) float lanes[8], bads[8];
  _mm256_store_ps(lanes, big);
  _mm256_store_ps(bads, bad);
  for (int l = 0; l < 8; ++l) {
    largest = std::max(largest, lanes[l]);
    poison += bads[l];
  }
#endif
  for (; i < n; ++i) {
    largest = std::max(largest, std::fabs(v[i]));
    poison += v[i] * 0.0f;
  }
  return poison == 0.0f ? largest : std::numeric_limits<float>::quiet_NaN();
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

void dequantize_rows(const int32_t* sums, const float* row_scales, int rows, int n, const Int8Epilogue& e,
                     float* y, int ldy) {
  using Array = Eigen::ArrayXf;
  const Eigen::Map<const Eigen::ArrayXi> shift_sums(e.shift_sums, n);
  const Eigen::Map<const Array> column_scales(e.column_scales, n);
  const float* bias_data = e.bias ? e.bias : e.column_scales;  // mapped, never read, without a bias
  const Eigen::Map<const Array> bias(bias_data, n);
#pragma omp parallel for schedule(static)
  for (int m = 0; m < rows; ++m) {
    const Eigen::Map<const Eigen::ArrayXi> sum(sums + static_cast<size_t>(m) * n, n);
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
SIMSCORE_ISA_VARIANTS(void dequantize_rows(const int32_t*, const float*, int, int, const Int8Epilogue&, float*, int))

void quantize_rows(const float* x, int rows, int cols, int shift, uint8_t* q, float* scales) {
  SIMSCORE_ISA_CALL(quantize_rows, x, rows, cols, shift, q, scales);
}

void dequantize_rows(const int32_t* sums, const float* row_scales, int rows, int n, const Int8Epilogue& epilogue,
                     float* y, int ldy) {
  SIMSCORE_ISA_CALL(dequantize_rows, sums, row_scales, rows, n, epilogue, y, ldy);
}

}  // namespace simscore
#endif
