#pragma once
// The OpenBLAS implementation of Product (the fallback backend): a whole matrix per product, its
// weights widened to fp32 a block at a time into the caller's scratch (`linear`), the bias added by
// the product and the activation after it, in fp32.

#include "core/ops/product.h"

namespace simscore {

class BlasProduct final : public Product {
 public:
  // spec must cover the whole matrix (OpenBLAS has no fused epilogue to sum column blocks).
  explicit BlasProduct(const BlockSpec& spec);

  void operator()(const void* x, int rows, void* y, float* scratch) const override;
  int inputs() const override { return spec_.inputs; }
  int outputs() const override { return spec_.outputs; }
  DType input_dtype() const override { return DType::f32; }
  size_t scratch_floats() const override { return cost(spec_, spec_.layer->weight.dtype).scratch_floats; }
  size_t bytes() const override { return 0; }
  std::string kernel_name() const override;

  static ProductCost cost(const BlockSpec& spec, DType storage);

 private:
  BlockSpec spec_;
};

}  // namespace simscore
