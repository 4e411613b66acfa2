#include "core/ops/product.h"

#include "core/ops/blas_product.h"
#include "core/ops/int8_linear.h"
#include "core/ops/linear_block.h"

namespace simscore {

ProductBackend ProductBackend::for_storage(GemmBackend kind, DType storage, Quantization quantization,
                                           Int8FfnOutput ffn_output) {
  ProductBackend b;
  b.kind = kind;
  if (kind == GemmBackend::openblas) return b;  // fp32, weights widened per product
  if (quantization == Quantization::int8) {
    b.precision = ComputePrecision::int8;
    b.layout = WeightLayout::prepacked;  // every int8 product holds its quantized copy
    b.int8_ffn_output = ffn_output;
    return b;
  }
  if (storage == DType::bf16 && bf16_support().available) b.precision = ComputePrecision::bf16;
  b.layout = b.precision == ComputePrecision::bf16 || kind == GemmBackend::onednn_prepacked
                 ? WeightLayout::prepacked
                 : WeightLayout::streamed;
  return b;
}

std::unique_ptr<Product> make_product(const BlockSpec& spec, const ProductBackend& backend) {
  switch (backend.kind) {
    case GemmBackend::openblas: return std::make_unique<BlasProduct>(spec);
    case GemmBackend::onednn:
    case GemmBackend::onednn_prepacked:
      if (backend.precision == ComputePrecision::int8) return std::make_unique<Int8Linear>(spec);
      return std::make_unique<LinearBlock>(spec, backend.precision, backend.layout);
  }
  return nullptr;
}

void run_blocks(const std::vector<std::unique_ptr<Product>>& blocks, const void* x, int rows, void* y,
                float* scratch) {
  int column = 0;
  for (const auto& b : blocks) {
    (*b)(x, rows, static_cast<float*>(y) + column, scratch);
    column += b->outputs();
  }
}

ProductCost plan_product(const BlockSpec& spec, DType storage, const ProductBackend& backend) {
  switch (backend.kind) {
    case GemmBackend::openblas: return BlasProduct::cost(spec, storage);
    case GemmBackend::onednn:
    case GemmBackend::onednn_prepacked:
      if (backend.precision == ComputePrecision::int8) return Int8Linear::cost(spec);
      return LinearBlock::cost(spec, backend.precision, backend.layout);
  }
  return {};
}

}  // namespace simscore
