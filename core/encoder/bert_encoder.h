#pragma once
// The BERT / RoBERTa encoder stack: embeddings, then N layers of self-attention and feed-forward,
// each followed by a residual add and LayerNorm (post-norm). Dense layers run on packed real tokens.

#include <string>
#include <vector>

#include "core/encoder/token_batch.h"
#include "core/encoder/workspace.h"
#include "core/model/config.h"
#include "core/model/weights.h"
#include "core/ops/packed_linear.h"

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
  // Packs every layer's weights for the selected backend (gemm_backend()) once, in the compute
  // precision compute_precision_for(weights.storage) gives.
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
  // Bytes of the prepacked weight copies (0 with the OpenBLAS backend). They come on top of the
  // stored weights: fp32 copies for fp16/fp32 storage, bf16 copies for bf16 compute.
  size_t packed_bytes() const;
  // What packed_bytes() will be for this shape, before any encoder exists (memory planning): exact
  // when hidden and FFN sizes are multiples of 64 (every BERT shape), an upper bound otherwise.
  static size_t planned_packed_bytes(const EncoderConfig& config, DType storage);

  const EncoderTimings& timings() const { return timings_; }
  void reset_timings() const { timings_ = {}; }

 private:
  // One layer's products, packed: Q|K|V fused, the attention output, FFN in (+ GELU), FFN out.
  struct PackedLayer {
    PackedLinear qkv, attention_output, intermediate, output;
  };

  void embed(const TokenBatch& batch, float* out) const;
  void forward_packed(const TokenBatch& batch, const ActivationLayout& layout, float* arena) const;
  void forward_openblas(const TokenBatch& batch, const ActivationLayout& layout, float* arena) const;

  const EncoderConfig& config_;
  const EncoderWeights& weights_;
  ComputePrecision precision_ = ComputePrecision::f32;
  bool packed_ = false;
  std::vector<PackedLayer> layers_;
  std::string kernel_description_;
  mutable EncoderTimings timings_;
};

}  // namespace simscore
