#pragma once
// Scores sentence pairs: tokenize, batch by length, encode, then either pool each text and take the
// cosine (bi-encoder) or run the classifier head on the pair (cross-encoder). Scores come back in
// input order: each batch's results are written at their inputs' positions (run_batches), the one
// place where the length sort is undone; a caller never reorders.

#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/encoder/bert_encoder.h"
#include "core/encoder/workspace.h"
#include "core/scoring/model_scoring.h"
#include "core/scoring/pooling.h"
#include "core/tokenizer/tokenizer.h"

namespace simscore {

// How a run batches its inputs (the model's own scoring is ModelScoring, core/scoring/model_scoring.h).
struct BatchPolicy {
  size_t max_batch_tokens = 2048;  // real tokens per encoder batch
  bool longest_first = false;      // batches in descending length (else ascending)
  // Asked before every batch; when it returns true, scoring throws Interrupted.
  std::function<bool()> should_stop;
};

struct ScoringStats {
  size_t batches = 0;
  size_t sequences = 0;        // inputs the encoder ran on
  size_t tokens = 0;           // real tokens the encoder ran on
  size_t unknown_tokens = 0;   // of which the tokenizer's unknown token ([UNK]): text the vocabulary lacks
  size_t padded_tokens = 0;    // what a padding batcher would have run on: sequences x longest
  size_t longest_batch_tokens = 0;
  size_t encodings_saved = 0;  // bi-encoder: texts that repeat within a call, encoded once
  double tokenize_seconds = 0;
  double encode_seconds = 0;
};

struct TextPair {
  std::string_view a;
  std::string_view b;
};

class PairScorer {
 public:
  PairScorer(const Tokenizer& tokenizer, const BertEncoder& encoder, ModelScoring scoring, BatchPolicy policy = {});

  // One score per pair, in input order; an absent pair (a row that failed before scoring) is
  // skipped and gets no score, so a window of rows is scored in place.
  std::vector<std::optional<float>> score(std::span<const std::optional<TextPair>> pairs);
  std::vector<float> score(std::span<const TextPair> pairs);
  // Sentence embeddings, row-major [texts.size(), hidden_size] (the bi-encoder's pooling).
  std::vector<float> embed(std::span<const std::string_view> texts);

  const ModelScoring& scoring() const { return scoring_; }
  const BatchPolicy& policy() const { return policy_; }
  const ScoringStats& stats() const { return stats_; }
  const Workspace& workspace() const { return workspace_; }
  void set_max_batch_tokens(size_t tokens) { policy_.max_batch_tokens = tokens; }
  // Called after every encoder batch with the inputs of the current score()/embed() call encoded so
  // far and their total (progress inside a window); empty: none.
  void set_batch_callback(std::function<void(size_t done, size_t total)> callback) {
    on_batch_ = std::move(callback);
  }

 private:
  std::vector<std::optional<float>> score_bi(std::span<const std::optional<TextPair>> pairs);
  std::vector<std::optional<float>> score_cross(std::span<const std::optional<TextPair>> pairs);
  // Runs the encoder over the inputs listed in `present` (indices into `inputs`) in length-sorted
  // batches; `consume(batch, hidden, indices)` gets each batch's hidden states and the indices of
  // its inputs in `inputs`, where their results go.
  template <typename Consume>
  void run_batches(const std::vector<Encoding>& inputs, std::span<const uint32_t> present, Consume&& consume);

  const Tokenizer& tokenizer_;
  const BertEncoder& encoder_;
  ModelScoring scoring_;
  BatchPolicy policy_;
  ScoringStats stats_;
  Workspace workspace_;
  std::function<void(size_t, size_t)> on_batch_;
};

}  // namespace simscore
