#pragma once
// How a model scores a pair, as its directory says (config.json, the sentence-transformers module
// configs) or the command line overrides: what io/model_dir reads and PairScorer obeys. The run's
// batch policy (core/scoring/pair_scorer.h) is apart: it belongs to a run, not to the model.

#include <cstddef>

namespace simscore {

enum class ScoringMode { bi, cross };

enum class Pooling { mean, cls, max, mean_sqrt_len };

struct ModelScoring {
  ScoringMode mode = ScoringMode::bi;
  Pooling pooling = Pooling::mean;  // bi-encoders
  bool normalize = false;           // bi-encoders: the Normalize module
  size_t max_length = 512;          // tokens per encoded input, special tokens included
  // Cross-encoders with two or more labels: the label whose softmax probability is the score.
  int positive_label = 1;
};

}  // namespace simscore
