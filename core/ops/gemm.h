#pragma once
// Matrix products through BLAS (the fallback backend, and the scoring heads' small products).
// Weights stored in half precision are widened to fp32 just before their product (into a
// caller-owned scratch buffer), so every product accumulates in fp32.

#include <string>

#include "core/model/weights.h"

namespace simscore {

// Which library runs the encoder's matrix products, and how it holds fp32-compute weights. oneDNN
// (fused epilogues, bf16) is the default: it measured faster than OpenBLAS on every shape here (see
// docs/performance.md "Speed"). A value carried by ProductBackend and the EncoderPlan; the CLI
// reads it from SIMSCORE_GEMM once (cli/model_options.h).
enum class GemmBackend {
  onednn,            // fp32 products stream the weights as stored; bf16 products prepack them
  onednn_prepacked,  // fp32 products too read a prepacked fp32 copy of every matrix
  openblas,          // the fallback: weights widened per product, no fused epilogues, no bf16
};

// y[rows, out] = x[rows, in] * W^T + b, rows of y `ldy` floats apart (0: out).  `weight_scratch`
// must hold linear_scratch_floats(layer) floats when W is not fp32 (W is widened a block of output
// features at a time); it may be null for fp32.
void linear(const float* x, int rows, const Linear& layer, float* y, float* weight_scratch,
            int ldy = 0);

// Floats of scratch `linear` needs for this layer (0 for fp32 weights, about 4 MiB at most otherwise).
size_t linear_scratch_floats(const Linear& layer);

// Weights used as stored are widened to fp32 a block of output rows (features) at a time, so the
// scratch stays near 4 MiB whatever the matrix, and blocks this large keep products at full speed.
// The rows per block for a matrix of `out` rows of `in`: equal blocks, a multiple of 16 rows.
int widen_block_rows(int in, int out);
constexpr size_t kWidenBlockFloats = size_t{1} << 20;

// out[outputs, inputs] = fp32 of W[first_out .., first_in ..], the block of the layer's weight matrix
// W [out, in] with those rows and columns; rows split across threads.
void widen_block(const Linear& layer, int first_out, int outputs, int first_in, int inputs, float* out);

// The fp32 kernel `backend` runs here, e.g. "oneDNN 2.6.3 matmul brg:avx512_core" or
// "OpenBLAS 0.3.21 ... (SkylakeX)".
std::string gemm_kernel_name(GemmBackend backend);
// The OpenBLAS build and core type, whichever backend runs the encoder.
std::string openblas_kernel_name();
// "oneDNN 2.6.3 matmul " + implementation (oneDNN's name for a kernel, e.g. "brg:avx512_core").
std::string onednn_matmul_name(const std::string& implementation);

// Threads for BLAS, oneDNN and our own parallel loops (one OpenMP pool shared by all three).
void set_compute_threads(int threads);
int compute_threads();

}  // namespace simscore
