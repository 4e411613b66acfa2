#pragma once
// Activation memory, planned rather than discovered: one arena sized up front for the largest batch
// a run will form, carved into the buffers one layer needs, and reused for every layer and batch.

#include <cstddef>
#include <memory>

#include "core/model/config.h"
#include "core/model/weights.h"

namespace simscore {

// The buffers of one forward pass over `tokens` packed tokens whose longest sequence is `max_length`.
struct ActivationLayout {
  size_t hidden = 0;         // [tokens, H]  layer input / output
  size_t spare = 0;          // [tokens, H]  the other half of the residual ping-pong
  size_t query = 0, key = 0, value = 0, context = 0;  // [tokens, H] each
  size_t intermediate = 0;   // [tokens, FFN]
  size_t scores = 0;         // [threads, max_length, max_length] attention probabilities
  size_t weight_scratch = 0; // the largest matrix widened to fp32 (0 for fp32 weights)
  size_t total = 0;          // floats

  static ActivationLayout plan(const EncoderConfig& config, const EncoderWeights& weights,
                               size_t tokens, size_t max_length, int threads);
};

class Workspace {
 public:
  // Allocates (address space only: pages are touched as used) room for batches up to this size.
  void reserve(const EncoderConfig& config, const EncoderWeights& weights, size_t tokens,
               size_t max_length, int threads);
  // Buffers for a batch of this size; grows the arena only if the plan was too small.
  float* prepare(const ActivationLayout& layout);
  // Room for one weight matrix widened to fp32, valid after prepare(); used by the scoring heads.
  float* weight_scratch() { return data_.get() + layout_.weight_scratch; }
  size_t bytes() const { return capacity_ * sizeof(float); }
  size_t peak_bytes() const { return peak_ * sizeof(float); }

 private:
  std::unique_ptr<float[]> data_;
  size_t capacity_ = 0;  // floats
  size_t peak_ = 0;      // floats of the largest batch so far
  ActivationLayout layout_;
};

}  // namespace simscore
