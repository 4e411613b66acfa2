#pragma once
// Conversions between the storage precisions (fp16, bf16) and fp32, in bulk.

#include <cstddef>

#include "core/model/tensor.h"

namespace simscore {

// dst[i] = float(src[i]) for n elements of type `from`.
void convert_to_f32(const void* src, DType from, float* dst, size_t n);
// dst[i] = src[i] rounded to nearest-even in precision `to`.
void convert_from_f32(const float* src, DType to, void* dst, size_t n);

}  // namespace simscore
