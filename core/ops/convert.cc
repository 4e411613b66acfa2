#include "core/ops/convert.h"

#include <Eigen/Core>
#include <cstring>

namespace simscore {

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

}  // namespace simscore
