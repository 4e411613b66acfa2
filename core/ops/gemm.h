#pragma once
// Matrix products through BLAS (the fallback backend, and the scoring heads' small products).
// Weights stored in half precision are widened to fp32 just before their product (into a
// caller-owned scratch buffer), so every product accumulates in fp32.

#include <string>

#include "core/model/weights.h"

namespace simscore {

// Which library runs the encoder's matrix products. oneDNN (prepacked weights, fused epilogues,
// bf16) is the default: it measured faster than OpenBLAS on every shape here (see README "Speed").
// OpenBLAS stays as a tested fallback. Choose before constructing an encoder.
enum class GemmBackend { onednn, openblas };
void set_gemm_backend(GemmBackend backend);
GemmBackend gemm_backend();

// y[rows, out] = x[rows, in] * W^T + b, rows of y `ldy` floats apart (0: out).  `weight_scratch`
// must hold linear_scratch_floats(layer) floats when W is not fp32 (W is widened a block of output
// features at a time); it may be null for fp32.
void linear(const float* x, int rows, const Linear& layer, float* y, float* weight_scratch,
            int ldy = 0);

// Floats of scratch `linear` needs for this layer (0 for fp32 weights, at most 4 MiB otherwise).
size_t linear_scratch_floats(const Linear& layer);

// The fp32 kernel the selected backend runs here, e.g. "oneDNN 2.6.3 matmul brg:avx512_core" or
// "OpenBLAS 0.3.21 ... (SkylakeX)".
std::string gemm_kernel_name();
// The OpenBLAS build and core type, whichever backend is selected.
std::string openblas_kernel_name();

// Threads for BLAS, oneDNN and our own parallel loops (one OpenMP pool shared by all three).
void set_compute_threads(int threads);
int compute_threads();

}  // namespace simscore
