#include "core/ops/gemm.h"

#include <cblas.h>
#include <omp.h>

#include "core/ops/convert.h"

namespace simscore {

size_t linear_scratch_floats(const Linear& layer) {
  return layer.weight.dtype == DType::f32 ? 0 : static_cast<size_t>(layer.weight.elements());
}

void linear(const float* x, int rows, const Linear& layer, float* y, float* weight_scratch) {
  const int out = layer.out_features();
  const int in = layer.in_features();
  const float* w = static_cast<const float*>(layer.weight.data);
  if (layer.weight.dtype != DType::f32) {
    convert_to_f32(layer.weight.data, layer.weight.dtype, weight_scratch,
                   static_cast<size_t>(out) * in);
    w = weight_scratch;
  }
  // Start from the bias broadcast over rows, then accumulate the product onto it (beta = 1).
  const float* bias = layer.bias.data();
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) std::copy(bias, bias + out, y + static_cast<size_t>(r) * out);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in, 1.0f, x, in, w, in, 1.0f, y,
              out);
}

std::string gemm_kernel_name() {
  return std::string(openblas_get_config()) + " (" + openblas_get_corename() + ")";
}

void set_compute_threads(int threads) {
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
}

int compute_threads() { return omp_get_max_threads(); }

}  // namespace simscore
