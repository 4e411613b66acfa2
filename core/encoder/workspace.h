#pragma once
// Activation memory, planned rather than discovered: one arena sized up front for the largest batch
// a run will form, carved into the buffers one layer needs, and reused for every layer and batch.

#include <cstddef>
#include <memory>

#include "core/model/config.h"
#include "core/model/weights.h"

namespace simscore {

// The buffers of one forward pass over `tokens` packed tokens whose longest sequence is `max_length`.
// Offsets and the total are in floats; bf16 buffers take half a float per element.
struct ActivationLayout {
  size_t hidden = 0;         // [tokens, H]  layer input / output
  size_t spare = 0;          // [tokens, H]  the other half of the residual ping-pong
  size_t qkv = 0;            // [tokens, 3H] query | key | value (oneDNN: Q, then K, then V, each
                             // [tokens, H])
  size_t context = 0;        // [tokens, H]
  size_t intermediate = 0;   // oneDNN: [tokens, ffn_block_columns] fp32 or (bf16 compute) bf16;
                             // OpenBLAS: [min(tokens, ffn_slice_tokens), FFN] fp32
  size_t bf16_input = 0;     // [tokens, H] bf16 copy of a product's input (bf16 compute only)
  size_t scores = 0;         // [threads, max_length, max_length] attention probabilities
  size_t weight_scratch = 0; // the largest block of a matrix widened to fp32 before its product
                             // (streamed weights, OpenBLAS backend, scoring heads)
  size_t total = 0;          // floats

  // The feed-forward block's [tokens, FFN] activation is the largest of a layer (4x the hidden
  // state), so it is never held whole. On oneDNN it runs over this many of its columns at a time,
  // all tokens at once: each slice of FFN in is widened once per batch when streamed, and as many
  // columns as one widening block (about 4 MiB of fp32 weights) keep the products at full speed.
  static int ffn_block_columns(const EncoderConfig& config);
  // On OpenBLAS it runs over at most this many tokens at a time; slices this long keep the
  // products as efficient as whole batches.
  static constexpr size_t ffn_slice_tokens = 512;

  // Floats between two threads' attention-score buffers: a whole number of cache lines, so every
  // thread's buffer has the same alignment (Eigen's vectorised sums depend on it, and scores must
  // not depend on which thread ran a head).
  static size_t scores_stride(size_t max_length) { return (max_length * max_length + 15) / 16 * 16; }

  // The layout of a batch is EncoderPlan::activations: the plan knows the backend and the products.
};

class Workspace {
 public:
  // Allocates (address space only: pages are touched as used) room for batches up to this size.
  // (`layout`: EncoderPlan::activations for the largest batch.)
  void reserve(const ActivationLayout& layout);
  // Buffers for a batch of this size; grows the arena only if the plan was too small.
  float* prepare(const ActivationLayout& layout);
  // Room for one weight matrix widened to fp32, valid after prepare(); used by the scoring heads.
  float* weight_scratch() { return data_.get() + layout_.weight_scratch; }
  size_t bytes() const { return capacity_ * sizeof(float); }
  size_t peak_bytes() const { return peak_ * sizeof(float); }

 private:
  struct Free {
    void operator()(float* p) const;
  };
  void replace(size_t floats);

  std::unique_ptr<float[], Free> data_;
  size_t capacity_ = 0;  // floats
  size_t peak_ = 0;      // floats of the largest batch so far
  ActivationLayout layout_;
};

}  // namespace simscore
