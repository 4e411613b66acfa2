// The accuracy cost of bf16 compute on the real all-MiniLM-L6-v2, on every pair of the STS-B English
// test split: the Spearman correlation with the gold scores within 0.002 of the fp32 run's (the
// issue's bound; 0.2 on the x100 scale papers use), and the largest score difference from the fp32
// run reported. Embeddings are also held at cosine >= 0.999 to sentence-transformers' fp32 ones
// (bf16 keeps 8 significant bits: 2^-9 relative rounding per product input). Measured on an
// AVX512-BF16 CPU: Spearman 0.820381 vs 0.820325 fp32, largest score difference 0.0023, worst
// cosine 0.99996; the score bound below (0.01) is 4x the measured difference.

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/encoder/bert_encoder.h"
#include "core/metrics/metrics.h"
#include "core/ops/linear_block.h"
#include "core/scoring/pair_scorer.h"
#include "io/model_dir.h"
#include "reference_fixtures.h"
#include "test_paths.h"

namespace simscore {
namespace {

using testing::minilm_dir;


struct PrecisionRun {
  std::vector<float> scores;
  std::vector<float> embeddings;
};

PrecisionRun run_at(DType precision, const std::vector<TextPair>& pairs, const std::vector<std::string_view>& texts,
        ComputePrecision expected) {
  io::ModelLoadOptions options;
  options.precision = precision;
  const io::LoadedModel model = io::load_model(minilm_dir(), options);
  const BertEncoder encoder(model.config, model.weights, GemmBackend::onednn);
  EXPECT_EQ(encoder.precision(), expected) << encoder.kernel_description();
  PairScorer scorer(*model.tokenizer, encoder, model.scoring);
  return {scorer.score(pairs), scorer.embed(texts)};
}

TEST(MiniLMBf16, StsbSpearmanWithin0002OfFp32) {
  if (!bf16_support().available) GTEST_SKIP() << "no native bf16 products: " << bf16_support().description;
  SIMSCORE_REQUIRE_FIXTURE("expected/minilm_stsb.json");
  SIMSCORE_REQUIRE_PATH(minilm_dir() / "model.safetensors", "run scripts/fetch_default_model.sh");
  testing::MiniLmStsb stsb;
  ASSERT_NO_FATAL_FAILURE(testing::read_minilm_stsb(stsb));
  const std::vector<TextPair>& pairs = stsb.pairs;
  const std::vector<double>& gold = stsb.gold;
  const std::vector<std::string_view>& texts = stsb.texts;

  const PrecisionRun fp32 = run_at(DType::f32, pairs, texts, ComputePrecision::f32);
  const PrecisionRun bf16 = run_at(DType::bf16, pairs, texts, ComputePrecision::bf16);

  auto spearman_of = [&](const std::vector<float>& scores) {
    return *spearman(std::vector<double>(scores.begin(), scores.end()), gold);
  };
  const double fp32_spearman = spearman_of(fp32.scores), bf16_spearman = spearman_of(bf16.scores);
  EXPECT_NEAR(bf16_spearman, fp32_spearman, 0.002);

  double largest = 0;
  size_t largest_at = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const double d = std::abs(double{bf16.scores[i]} - fp32.scores[i]);
    if (d > largest) largest = d, largest_at = i;
  }
  double worst_cosine = 1;
  for (size_t i = 0; i < texts.size(); ++i)
    worst_cosine = std::min(worst_cosine, testing::cosine(bf16.embeddings.data() + i * 384, stsb.embedding(i), 384));
  EXPECT_GE(worst_cosine, 0.999);
  EXPECT_LT(largest, 0.01) << "pair " << largest_at;
  RecordProperty("largest_score_difference", std::to_string(largest));
  std::cout << "STS-B test Spearman: fp32 " << fp32_spearman << ", bf16 " << bf16_spearman
            << " (difference " << bf16_spearman - fp32_spearman << "); largest score difference "
            << largest << " (pair " << largest_at << "); worst embedding cosine to "
            << "sentence-transformers " << worst_cosine << "\n";
}

}  // namespace
}  // namespace simscore
