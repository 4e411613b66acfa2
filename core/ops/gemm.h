#pragma once
// Matrix products through BLAS. Weights stored in half precision are widened to fp32 just before
// their product (into a caller-owned scratch buffer), so every product accumulates in fp32.

#include <string>

#include "core/model/weights.h"

namespace simscore {

// y[rows, out] = x[rows, in] * W^T + b.  `weight_scratch` must hold out*in floats when W is not
// fp32 (see linear_scratch_floats); it may be null for fp32 weights.
void linear(const float* x, int rows, const Linear& layer, float* y, float* weight_scratch);

// Floats of scratch `linear` needs for this layer (0 for fp32 weights).
size_t linear_scratch_floats(const Linear& layer);

// Which BLAS kernel set is running, e.g. "OpenBLAS 0.3.21 SkylakeX".
std::string gemm_kernel_name();

// Threads for BLAS and our own parallel loops.
void set_compute_threads(int threads);
int compute_threads();

}  // namespace simscore
