#include "core/ops/blas_product.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "core/ops/activation.h"
#include "core/ops/gemm.h"

namespace simscore {

BlasProduct::BlasProduct(const BlockSpec& spec) : spec_(spec) {
  const Linear& layer = *spec.layer;
  if (spec.first_out != 0 || spec.outputs != layer.out_features() || spec.first_in != 0 ||
      spec.inputs != layer.in_features() || !spec.bias || spec.accumulate || spec.output != DType::f32 ||
      (spec.activation && spec.ldy != 0 && spec.ldy != spec.outputs))
    throw ModelError(fmt::format("BlasProduct: only whole {}x{} matrices with a bias, fp32 output and "
                                 "no running sum",
                                 layer.out_features(), layer.in_features()));
}

void BlasProduct::operator()(const void* x, int rows, void* y, float* scratch) const {
  auto* out = static_cast<float*>(y);
  linear(static_cast<const float*>(x), rows, *spec_.layer, out, scratch, spec_.ldy);
  if (spec_.activation) add_bias_activation(out, nullptr, rows, spec_.outputs, *spec_.activation);
}

std::string BlasProduct::kernel_name() const { return openblas_kernel_name(); }

ProductCost BlasProduct::cost(const BlockSpec& spec, DType storage) {
  if (storage == DType::f32) return {};
  return {0, static_cast<size_t>(widen_block_rows(spec.inputs, spec.outputs)) * static_cast<size_t>(spec.inputs)};
}

}  // namespace simscore
