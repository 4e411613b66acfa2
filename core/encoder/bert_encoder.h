#pragma once
// The BERT / RoBERTa encoder stack: embeddings, then N layers of self-attention and feed-forward,
// each followed by a residual add and LayerNorm (post-norm). Dense layers run on packed real tokens.

#include <memory>
#include <string>
#include <vector>

#include "core/encoder/encoder_plan.h"
#include "core/encoder/token_batch.h"
#include "core/encoder/workspace.h"
#include "core/model/config.h"
#include "core/model/weights.h"
#include "core/ops/linear_block.h"

namespace simscore {

// Where forward() spent its time, summed over every call since construction (or reset_timings()).
// Tokenizing is not here: PairScorer measures it.
struct EncoderTimings {
  double matmul_seconds = 0;     // the dense products: Q, K, V, attention output, FFN in and out
  double attention_seconds = 0;  // Q K^T, masked fp32 softmax, P V, per sequence and head
  double other_seconds = 0;      // embeddings, LayerNorm, bf16 rounding of product inputs
  double matmul_flops = 0;       // 2 m n k of those products over real tokens (no padding exists)
  size_t tokens = 0;
  size_t batches = 0;
};

class BertEncoder {
 public:
  // Sets up every layer's products as `plan` lists them (the plan must have been built for this
  // config and these weights' shapes and storage). With `drop_sources` (the same object as
  // `weights`), each layer's matrices held as prepacked copies are let go as soon as that layer's
  // products are built (drop_prepacked_sources), so a matrix and its copy coexist for one layer
  // at most and the peak is the plan's.
  BertEncoder(const EncoderConfig& config, const EncoderWeights& weights, EncoderPlan plan,
              EncoderWeights* drop_sources = nullptr);
  // The same, with the plan `kind` gives these weights' storage (no quantization) for
  // compute_threads(): ProductBackend::for_storage(kind, weights.storage).
  BertEncoder(const EncoderConfig& config, const EncoderWeights& weights, GemmBackend kind);

  // The last hidden states [batch.tokens(), hidden] of `batch`. They live in `workspace` until its
  // next use.
  const float* forward(const TokenBatch& batch, Workspace& workspace) const;

  const EncoderConfig& config() const { return config_; }
  const EncoderWeights& weights() const { return weights_; }

  const EncoderPlan& plan() const { return plan_; }
  ComputePrecision precision() const { return plan_.backend().precision; }
  // What runs the products and in which precision, and why: e.g. "oneDNN matmul
  // brg:avx512_core_bf16, bf16 inputs and weights, fp32 accumulation (AVX512-BF16 (no AMX ...))".
  const std::string& kernel_description() const { return kernel_description_; }
  // Bytes of the prepacked weight copies the built products hold (0 when weights are used as
  // stored): bf16 copies for bf16 compute, fp32 copies with onednn_prepacked. Equal to
  // plan().packed_bytes().
  size_t packed_bytes() const;

  const EncoderTimings& timings() const { return timings_; }
  void reset_timings() const { timings_ = {}; }

 private:
  // One layer's products, as its LayerPlan lists them.
  struct LayerProducts {
    std::vector<std::unique_ptr<Product>> query, key, value, attention_output;
    std::vector<std::pair<std::unique_ptr<Product>, std::unique_ptr<Product>>> feed_forward;
  };

  void embed(const TokenBatch& batch, float* out) const;
  // Every layer on `arena`, as the plan lays out Q, K, V and slices the feed-forward block.
  void run_layers(const TokenBatch& batch, const ActivationLayout& layout, float* arena) const;

  const EncoderConfig& config_;
  const EncoderWeights& weights_;
  EncoderPlan plan_;
  std::vector<LayerProducts> layers_;
  std::string kernel_description_;
  mutable EncoderTimings timings_;
};

}  // namespace simscore
