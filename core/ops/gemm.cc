#include "core/ops/gemm.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <dnnl.hpp>
#include <fmt/format.h>

#include "core/ops/convert.h"

namespace simscore {
namespace {

std::string onednn_kernel_name() {
  using dnnl::memory;
  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  const memory::desc src({256, 768}, memory::data_type::f32, memory::format_tag::ab);
  const memory::desc weights({768, 768}, memory::data_type::f32, memory::format_tag::any);
  const memory::desc dst({256, 768}, memory::data_type::f32, memory::format_tag::ab);
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, weights, dst), engine);
  return onednn_matmul_name(pd.impl_info_str());
}

}  // namespace

std::string onednn_matmul_name(const std::string& implementation) {
  const dnnl_version_t* v = dnnl_version();
  return fmt::format("oneDNN {}.{}.{} matmul {}", v->major, v->minor, v->patch, implementation);
}

int widen_block_rows(int in, int out) {
  const size_t matrix = static_cast<size_t>(in) * static_cast<size_t>(out);
  if (matrix == 0) return std::max(out, 1);
  // Equal blocks (the last may be shorter), a whole number of 16-float vectors wide.
  const size_t blocks = (matrix + kWidenBlockFloats - 1) / kWidenBlockFloats;
  const size_t rows = ((static_cast<size_t>(out) + blocks - 1) / blocks + 15) / 16 * 16;
  return static_cast<int>(std::min(rows, static_cast<size_t>(out)));
}

void widen_block(const Linear& layer, int first_out, int outputs, int first_in, int inputs, float* out) {
  const size_t element = dtype_size(layer.weight.dtype), in = static_cast<size_t>(layer.in_features());
  const auto* src = static_cast<const char*>(layer.weight.data);
#pragma omp parallel for schedule(static)
  for (int r = 0; r < outputs; ++r)
    convert_to_f32(src + ((static_cast<size_t>(first_out) + r) * in + first_in) * element, layer.weight.dtype,
                   out + static_cast<size_t>(r) * inputs, static_cast<size_t>(inputs));
}

size_t linear_scratch_floats(const Linear& layer) {
  if (layer.weight.dtype == DType::f32) return 0;
  return static_cast<size_t>(widen_block_rows(layer.in_features(), layer.out_features())) *
         static_cast<size_t>(layer.in_features());
}

void linear(const float* x, int rows, const Linear& layer, float* y, float* weight_scratch, int ldy) {
  const int out = layer.out_features();
  const int in = layer.in_features();
  if (ldy == 0) ldy = out;
  // Start from the bias broadcast over rows, then accumulate the product onto it (beta = 1).
  const float* bias = layer.bias.data();
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) std::copy(bias, bias + out, y + static_cast<size_t>(r) * ldy);
  if (layer.weight.dtype == DType::f32) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in, 1.0f, x, in,
                static_cast<const float*>(layer.weight.data), in, 1.0f, y, ldy);
    return;
  }
  // W is [out, in] row-major: a block of output features is a contiguous block of W.
  const int block = widen_block_rows(in, out);
  for (int first = 0; first < out; first += block) {
    const int n = std::min(block, out - first);
    widen_block(layer, first, n, 0, in, weight_scratch);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n, in, 1.0f, x, in, weight_scratch, in,
                1.0f, y + first, ldy);
  }
}

std::string openblas_kernel_name() {
  return std::string(openblas_get_config()) + " (" + openblas_get_corename() + ")";
}

std::string gemm_kernel_name(GemmBackend backend) {
  return backend == GemmBackend::openblas ? openblas_kernel_name() : onednn_kernel_name();
}

void set_compute_threads(int threads) {
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
}

int compute_threads() { return omp_get_max_threads(); }

}  // namespace simscore
