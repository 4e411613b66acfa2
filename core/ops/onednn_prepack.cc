#include "core/ops/onednn_prepack.h"

namespace simscore {

const dnnl::engine& onednn_cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::memory prepack_weights(const void* w, dnnl::memory::data_type type, int k, int n,
                             const dnnl::memory::desc& layout) {
  dnnl::memory packed(layout, onednn_cpu_engine());
  // oneDNN's memory takes a mutable pointer; a reorder only reads its source.
  dnnl::memory plain(dnnl::memory::desc({k, n}, type, dnnl::memory::format_tag::ba), onednn_cpu_engine(),
                     const_cast<void*>(w));
  dnnl::stream stream(onednn_cpu_engine());
  dnnl::reorder(plain, packed).execute(stream, plain, packed);
  stream.wait();
  return packed;
}

}  // namespace simscore
