#pragma once
// The BERT / RoBERTa encoder stack: embeddings, then N layers of self-attention and feed-forward,
// each followed by a residual add and LayerNorm (post-norm). Dense layers run on packed real tokens.

#include "core/encoder/token_batch.h"
#include "core/encoder/workspace.h"
#include "core/model/config.h"
#include "core/model/weights.h"

namespace simscore {

class BertEncoder {
 public:
  BertEncoder(const EncoderConfig& config, const EncoderWeights& weights);

  // The last hidden states [batch.tokens(), hidden] of `batch`. They live in `workspace` until its
  // next use.
  const float* forward(const TokenBatch& batch, Workspace& workspace) const;

  const EncoderConfig& config() const { return config_; }
  const EncoderWeights& weights() const { return weights_; }

 private:
  void embed(const TokenBatch& batch, float* out) const;

  const EncoderConfig& config_;
  const EncoderWeights& weights_;
};

}  // namespace simscore
