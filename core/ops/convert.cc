// Compiled once per CpuIsa (core/cpu/isa_kernels.h says how and why): widening fp16 weights runs
// on every streamed product, and F16C (x86-64-v3) does it in one instruction per 8 values.
#include "core/cpu/isa_kernels.h"

#include <Eigen/Core>
#include <cstring>

#include "core/model/tensor.h"

namespace simscore::SIMSCORE_ISA_NS {

void convert_to_f32(const void* src, DType from, float* dst, size_t n) {
  if (n == 0) return;  // an empty tensor may have null data, which memcpy must not see
  const auto count = static_cast<Eigen::Index>(n);
  Eigen::Map<Eigen::ArrayXf> out(dst, count);
  switch (from) {
    case DType::f32:
      std::memcpy(dst, src, n * sizeof(float));
      break;
    case DType::f16:
      out = Eigen::Map<const Eigen::Array<Eigen::half, Eigen::Dynamic, 1>>(
                static_cast<const Eigen::half*>(src), count)
                .cast<float>();
      break;
    case DType::bf16:
      out = Eigen::Map<const Eigen::Array<Eigen::bfloat16, Eigen::Dynamic, 1>>(
                static_cast<const Eigen::bfloat16*>(src), count)
                .cast<float>();
      break;
  }
}

void convert_from_f32(const float* src, DType to, void* dst, size_t n) {
  if (n == 0) return;
  const auto count = static_cast<Eigen::Index>(n);
  Eigen::Map<const Eigen::ArrayXf> in(src, count);
  switch (to) {
    case DType::f32:
      std::memcpy(dst, src, n * sizeof(float));
      break;
    case DType::f16:
      Eigen::Map<Eigen::Array<Eigen::half, Eigen::Dynamic, 1>>(static_cast<Eigen::half*>(dst), count) =
          in.cast<Eigen::half>();
      break;
    case DType::bf16:
      Eigen::Map<Eigen::Array<Eigen::bfloat16, Eigen::Dynamic, 1>>(static_cast<Eigen::bfloat16*>(dst),
                                                                    count) = in.cast<Eigen::bfloat16>();
      break;
  }
}

}  // namespace simscore::SIMSCORE_ISA_NS

#ifdef SIMSCORE_ISA_DISPATCHER
#include "core/ops/convert.h"

namespace simscore {

SIMSCORE_ISA_VARIANTS(void convert_to_f32(const void*, DType, float*, size_t))
SIMSCORE_ISA_VARIANTS(void convert_from_f32(const float*, DType, void*, size_t))

void convert_to_f32(const void* src, DType from, float* dst, size_t n) {
  SIMSCORE_ISA_CALL(convert_to_f32, src, from, dst, n);
}

void convert_from_f32(const float* src, DType to, void* dst, size_t n) {
  SIMSCORE_ISA_CALL(convert_from_f32, src, to, dst, n);
}

}  // namespace simscore
#endif
