#pragma once
// What the oneDNN products (LinearBlock, Int8Linear) share: the CPU engine, and the one-time
// reorder of a weight block into the layout a matmul primitive asked for.

#include <dnnl.hpp>

namespace simscore {

const dnnl::engine& onednn_cpu_engine();

// The block w[n, k] (row-major, PyTorch's [out, in]: oneDNN's [k, n] in "ba"), of `type`, copied
// once into a new memory of `layout` (a primitive descriptor's weights_desc()).
dnnl::memory prepack_weights(const void* w, dnnl::memory::data_type type, int k, int n,
                             const dnnl::memory::desc& layout);

}  // namespace simscore
