#include "core/scoring/pair_scorer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/errors.h"
#include "core/ops/gemm.h"
#include "core/scoring/batching.h"
#include "core/scoring/cross_head.h"

namespace simscore {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The cross-encoder score from one row of logits: sigmoid for one label, else the softmax
// probability of `positive_label`.
float logits_to_score(const float* logits, int labels, int positive_label) {
  if (labels == 1) return 1.0f / (1.0f + std::exp(-logits[0]));
  float max = logits[0];
  for (int c = 1; c < labels; ++c) max = std::max(max, logits[c]);
  float sum = 0;
  for (int c = 0; c < labels; ++c) sum += std::exp(logits[c] - max);
  return std::exp(logits[positive_label] - max) / sum;
}

}  // namespace

PairScorer::PairScorer(const Tokenizer& tokenizer, const BertEncoder& encoder, ModelScoring scoring,
                       BatchPolicy policy)
    : tokenizer_(tokenizer), encoder_(encoder), scoring_(scoring), policy_(std::move(policy)) {}

template <typename Consume>
void PairScorer::run_batches(const std::vector<Encoding>& inputs, std::span<const uint32_t> present,
                             Consume&& consume) {
  std::vector<int> lengths(present.size());
  for (size_t k = 0; k < present.size(); ++k) lengths[k] = static_cast<int>(inputs[present[k]].ids.size());
  auto batches = plan_batches(lengths, policy_.max_batch_tokens, policy_.longest_first);
  for (auto& indices : batches)
    for (uint32_t& i : indices) i = present[i];

  // The activation arena is sized once, for the largest batch the budget allows (a sequence of
  // max_length tokens always fits), so no later window reallocates it; pages are touched as used.
  workspace_.reserve(encoder_.plan().activations(std::max(policy_.max_batch_tokens, scoring_.max_length),
                                                 scoring_.max_length, compute_threads()));

  const int32_t unk_id = tokenizer_.special_tokens().unk_id;
  size_t done = 0;
  TokenBatch batch;
  for (const auto& indices : batches) {
    if (policy_.should_stop && policy_.should_stop()) throw Interrupted();
    batch.clear();
    for (uint32_t i : indices) batch.add(inputs[i]);
    const auto start = std::chrono::steady_clock::now();
    const float* hidden = encoder_.forward(batch, workspace_);
    consume(batch, hidden, indices);
    stats_.encode_seconds += seconds_since(start);
    stats_.batches += 1;
    stats_.sequences += batch.sequences();
    stats_.tokens += batch.tokens();
    stats_.padded_tokens += batch.sequences() * static_cast<size_t>(batch.max_length());
    stats_.longest_batch_tokens = std::max(stats_.longest_batch_tokens, batch.tokens());
    for (uint32_t i : indices)
      stats_.unknown_tokens += static_cast<size_t>(std::count(inputs[i].ids.begin(), inputs[i].ids.end(), unk_id));
    done += indices.size();
    if (on_batch_) on_batch_(done, present.size());
  }
}

std::vector<std::optional<float>> PairScorer::score(std::span<const std::optional<TextPair>> pairs) {
  return scoring_.mode == ScoringMode::bi ? score_bi(pairs) : score_cross(pairs);
}

std::vector<float> PairScorer::score(std::span<const TextPair> pairs) {
  const std::vector<std::optional<TextPair>> all(pairs.begin(), pairs.end());
  const std::vector<std::optional<float>> scored = score(all);
  std::vector<float> scores(scored.size());
  for (size_t i = 0; i < scored.size(); ++i) scores[i] = *scored[i];
  return scores;
}

std::vector<float> PairScorer::embed(std::span<const std::string_view> texts) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<Encoding> inputs;
  inputs.reserve(texts.size());
  for (std::string_view text : texts) inputs.push_back(encode_single(tokenizer_, text, scoring_.max_length));
  stats_.tokenize_seconds += seconds_since(start);

  const int h = encoder_.config().hidden_size;
  std::vector<float> embeddings(texts.size() * static_cast<size_t>(h));
  std::vector<float> pooled;
  std::vector<uint32_t> all(texts.size());
  std::iota(all.begin(), all.end(), 0u);
  run_batches(inputs, all, [&](const TokenBatch& batch, const float* hidden, const auto& indices) {
    pooled.resize(batch.sequences() * static_cast<size_t>(h));
    pool(hidden, batch, h, scoring_.pooling, scoring_.normalize, pooled.data());
    for (size_t s = 0; s < indices.size(); ++s)
      std::copy_n(pooled.data() + s * h, h, embeddings.data() + size_t{indices[s]} * h);
  });
  return embeddings;
}

std::vector<std::optional<float>> PairScorer::score_bi(std::span<const std::optional<TextPair>> pairs) {
  // Evaluation sets repeat sentences a lot: encode each distinct text once.
  std::unordered_map<std::string_view, uint32_t> slot_of;
  std::vector<std::string_view> distinct;
  std::vector<std::pair<uint32_t, uint32_t>> slots(pairs.size());
  auto slot = [&](std::string_view text) {
    auto [it, inserted] = slot_of.try_emplace(text, static_cast<uint32_t>(distinct.size()));
    if (inserted) distinct.push_back(text);
    return it->second;
  };
  size_t present = 0;
  for (size_t i = 0; i < pairs.size(); ++i)
    if (pairs[i]) slots[i] = {slot(pairs[i]->a), slot(pairs[i]->b)}, ++present;
  stats_.encodings_saved += 2 * present - distinct.size();

  const auto embeddings = embed(distinct);
  const int h = encoder_.config().hidden_size;
  std::vector<std::optional<float>> scores(pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i)
    if (pairs[i])
      scores[i] = cosine_similarity(embeddings.data() + size_t{slots[i].first} * h,
                                    embeddings.data() + size_t{slots[i].second} * h, h);
  return scores;
}

std::vector<std::optional<float>> PairScorer::score_cross(std::span<const std::optional<TextPair>> pairs) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<Encoding> inputs(pairs.size());
  std::vector<uint32_t> present;
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (!pairs[i]) continue;
    inputs[i] = encode_pair(tokenizer_, pairs[i]->a, pairs[i]->b, scoring_.max_length);
    present.push_back(static_cast<uint32_t>(i));
  }
  stats_.tokenize_seconds += seconds_since(start);

  const EncoderWeights& weights = encoder_.weights();
  const int h = encoder_.config().hidden_size;
  const int labels = weights.classifier->out_features();
  std::vector<std::optional<float>> scores(pairs.size());
  std::vector<float> first_tokens, pooled, logits;
  run_batches(inputs, present, [&](const TokenBatch& batch, const float* hidden, const auto& indices) {
    const int rows = static_cast<int>(batch.sequences());
    first_tokens.resize(static_cast<size_t>(rows) * h);
    for (int s = 0; s < rows; ++s)
      std::copy_n(hidden + batch.offsets[s] * h, h, first_tokens.data() + static_cast<size_t>(s) * h);
    pooled.resize(weights.pooler ? first_tokens.size() : 0);
    logits.resize(static_cast<size_t>(rows) * labels);
    cross_encoder_logits(first_tokens.data(), rows, weights, pooled.data(), logits.data(),
                         workspace_.weight_scratch());
    for (int s = 0; s < rows; ++s)
      scores[indices[s]] = logits_to_score(logits.data() + static_cast<size_t>(s) * labels, labels,
                                           scoring_.positive_label);
  });
  return scores;
}

}  // namespace simscore
