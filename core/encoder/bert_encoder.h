#pragma once
// The BERT / RoBERTa encoder stack: embeddings, then N layers of self-attention and feed-forward,
// each followed by a residual add and LayerNorm (post-norm). Dense layers run on packed real tokens.

#include <string>
#include <vector>

#include "core/encoder/token_batch.h"
#include "core/encoder/workspace.h"
#include "core/model/config.h"
#include "core/model/weights.h"
#include "core/ops/linear_block.h"

namespace simscore {

// Where forward() spent its time, summed over every call since construction (or reset_timings()).
// Tokenizing is not here: PairScorer measures it.
struct EncoderTimings {
  double matmul_seconds = 0;     // the dense products: fused QKV, attention output, FFN in and out
  double attention_seconds = 0;  // Q K^T, masked fp32 softmax, P V, per sequence and head
  double other_seconds = 0;      // embeddings, LayerNorm, bf16 rounding of product inputs
  double matmul_flops = 0;       // 2 m n k of those products over real tokens (no padding exists)
  size_t tokens = 0;
  size_t batches = 0;
};

class BertEncoder {
 public:
  // Sets up every layer's products for the selected backend (gemm_backend()), in the compute
  // precision compute_precision_for(weights.storage) gives, holding weights as
  // weight_layout_for(weights.storage) says.
  BertEncoder(const EncoderConfig& config, const EncoderWeights& weights);

  // The last hidden states [batch.tokens(), hidden] of `batch`. They live in `workspace` until its
  // next use.
  const float* forward(const TokenBatch& batch, Workspace& workspace) const;

  const EncoderConfig& config() const { return config_; }
  const EncoderWeights& weights() const { return weights_; }

  ComputePrecision precision() const { return precision_; }
  // What runs the products and in which precision, and why: e.g. "oneDNN matmul
  // brg:avx512_core_bf16, bf16 inputs and weights, fp32 accumulation (AVX512-BF16 (no AMX ...))".
  const std::string& kernel_description() const { return kernel_description_; }
  // Bytes of the prepacked weight copies (0 when weights are used as stored). They come on top of
  // the stored weights: bf16 copies for bf16 compute, fp32 copies with onednn_prepacked.
  size_t packed_bytes() const;
  // What packed_bytes() will be for this shape, before any encoder exists (memory planning): exact
  // when hidden and FFN sizes are multiples of 64 (every BERT shape), an upper bound otherwise.
  static size_t planned_packed_bytes(const EncoderConfig& config, DType storage);

  const EncoderTimings& timings() const { return timings_; }
  void reset_timings() const { timings_ = {}; }

 private:
  // A slice of the feed-forward block's columns: its part of FFN in (+ bias, GELU), then its part
  // of FFN out, summed onto the other slices' (the first adds the bias).
  struct FeedForwardBlock {
    LinearBlock in, out;
  };
  // One layer's products on oneDNN. Every product writes a dense [tokens, columns] block, the
  // layout oneDNN's fastest (brgemm) kernels need (streamed, a hidden size past 1024 splits Q, K, V
  // and the attention output into column blocks, which are not), and the feed-forward block never
  // holds more than ActivationLayout::ffn_block_columns of its activation.
  struct OneDnnLayer {
    std::vector<LinearBlock> query, key, value, attention_output;
    std::vector<FeedForwardBlock> feed_forward;
  };

  void embed(const TokenBatch& batch, float* out) const;
  void forward_onednn(const TokenBatch& batch, const ActivationLayout& layout, float* arena) const;
  void forward_openblas(const TokenBatch& batch, const ActivationLayout& layout, float* arena) const;

  const EncoderConfig& config_;
  const EncoderWeights& weights_;
  ComputePrecision precision_ = ComputePrecision::f32;
  bool onednn_ = false;
  std::vector<OneDnnLayer> layers_;
  std::string kernel_description_;
  mutable EncoderTimings timings_;
};

}  // namespace simscore
