#include "core/encoder/workspace.h"

#include <algorithm>
#include <cstdlib>
#include <new>

#include "core/ops/gemm.h"

namespace simscore {

int ActivationLayout::ffn_block_columns(const EncoderConfig& config) {
  return widen_block_rows(config.hidden_size, config.intermediate_size);
}

namespace {

// 64-byte aligned, so that every buffer in the arena starts on a cache line in every run: Eigen's
// vectorised reductions (LayerNorm statistics, softmax sums) peel to alignment, and the same input
// must give the same bits whatever address malloc returned.
float* allocate(size_t floats) {
  const size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
  auto* p = static_cast<float*>(std::aligned_alloc(64, bytes ? bytes : 64));
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

void Workspace::Free::operator()(float* p) const { std::free(p); }

void Workspace::reserve(const ActivationLayout& layout) {
  if (layout.total > capacity_) replace(layout.total);
}

// The old arena goes before the new one is allocated: both at once would be the run's peak.
void Workspace::replace(size_t floats) {
  data_.reset();
  capacity_ = 0;
  data_.reset(allocate(floats));
  capacity_ = floats;
}

float* Workspace::prepare(const ActivationLayout& layout) {
  if (layout.total > capacity_) replace(layout.total);
  peak_ = std::max(peak_, layout.total);
  layout_ = layout;
  return data_.get();
}

}  // namespace simscore
