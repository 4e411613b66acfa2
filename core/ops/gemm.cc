#include "core/ops/gemm.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <dnnl.hpp>
#include <fmt/format.h>

#include "core/ops/convert.h"

namespace simscore {
namespace {

std::atomic<GemmBackend> selected{GemmBackend::onednn};

std::string onednn_kernel_name() {
  using dnnl::memory;
  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  const memory::desc src({256, 768}, memory::data_type::f32, memory::format_tag::ab);
  const memory::desc weights({768, 768}, memory::data_type::f32, memory::format_tag::any);
  const memory::desc dst({256, 768}, memory::data_type::f32, memory::format_tag::ab);
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, weights, dst), engine);
  const dnnl_version_t* v = dnnl_version();
  return fmt::format("oneDNN {}.{}.{} matmul {}, prepacked weights", v->major, v->minor, v->patch,
                     pd.impl_info_str());
}

}  // namespace

void set_gemm_backend(GemmBackend backend) { selected = backend; }
GemmBackend gemm_backend() { return selected; }

size_t linear_scratch_floats(const Linear& layer) {
  return layer.weight.dtype == DType::f32 ? 0 : static_cast<size_t>(layer.weight.elements());
}

void linear(const float* x, int rows, const Linear& layer, float* y, float* weight_scratch, int ldy) {
  const int out = layer.out_features();
  const int in = layer.in_features();
  if (ldy == 0) ldy = out;
  const float* w = static_cast<const float*>(layer.weight.data);
  if (layer.weight.dtype != DType::f32) {
    convert_to_f32(layer.weight.data, layer.weight.dtype, weight_scratch,
                   static_cast<size_t>(out) * in);
    w = weight_scratch;
  }
  // Start from the bias broadcast over rows, then accumulate the product onto it (beta = 1).
  const float* bias = layer.bias.data();
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) std::copy(bias, bias + out, y + static_cast<size_t>(r) * ldy);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in, 1.0f, x, in, w, in, 1.0f, y,
              ldy);
}

std::string openblas_kernel_name() {
  return std::string(openblas_get_config()) + " (" + openblas_get_corename() + ")";
}

std::string gemm_kernel_name() {
  return gemm_backend() == GemmBackend::onednn ? onednn_kernel_name() : openblas_kernel_name();
}

void set_compute_threads(int threads) {
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
}

int compute_threads() { return omp_get_max_threads(); }

}  // namespace simscore
