// The real all-MiniLM-L6-v2 (the default model) against sentence-transformers on every sentence of
// the STS-B English test split: embeddings at cosine >= 0.9999 and the Spearman correlation with the
// gold scores within 0.001 of sentence-transformers' (the published figure is 82.03).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/encoder/bert_encoder.h"
#include "core/metrics/metrics.h"
#include "core/scoring/pair_scorer.h"
#include "io/model_dir.h"
#include "reference_fixtures.h"
#include "test_paths.h"

namespace simscore {
namespace {

using testing::minilm_dir;


class MiniLM : public ::testing::TestWithParam<DType> {
 protected:
  void SetUp() override {
    SIMSCORE_REQUIRE_FIXTURE("expected/minilm_stsb.json");
    SIMSCORE_REQUIRE_PATH(minilm_dir() / "model.safetensors", "run scripts/fetch_default_model.sh");
    ASSERT_NO_FATAL_FAILURE(testing::read_minilm_stsb(stsb_));
  }
  testing::MiniLmStsb stsb_;
};

TEST_P(MiniLM, EmbeddingsMatchSentenceTransformersOnStsbTest) {
  io::ModelLoadOptions options;
  options.precision = GetParam();
  const io::LoadedModel model = io::load_model(minilm_dir(), options);
  ASSERT_EQ(model.config.hidden_size, 384);
  const BertEncoder encoder(model.config, model.weights, GemmBackend::onednn);
  PairScorer scorer(*model.tokenizer, encoder, model.scoring);

  const std::vector<std::string_view>& texts = stsb_.texts;
  const std::vector<float> ours = scorer.embed(texts);
  float worst = 1;
  size_t worst_index = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto cosine = static_cast<float>(testing::cosine(ours.data() + i * 384, stsb_.embedding(i), 384));
    if (cosine < worst) worst = cosine, worst_index = i;
  }
  EXPECT_GE(worst, 0.9999f) << "worst text: " << texts[worst_index];
  RecordProperty("worst_cosine", std::to_string(worst));

  const std::vector<TextPair>& pairs = stsb_.pairs;
  const std::vector<double>& gold = stsb_.gold;
  ASSERT_EQ(pairs.size(), 1379u);
  const std::vector<float> scores = scorer.score(pairs);
  const std::vector<double> as_double(scores.begin(), scores.end());
  const double ours_spearman = *spearman(as_double, gold) * 100;
  EXPECT_NEAR(ours_spearman, stsb_.expected["spearman"].get<double>(), 0.001)
      << "sentence-transformers: " << stsb_.expected["spearman"];
  std::cout << "STS-B test Spearman x100: simscore " << ours_spearman << ", sentence-transformers "
            << stsb_.expected["spearman"] << ", worst embedding cosine " << worst << "\n";
}

INSTANTIATE_TEST_SUITE_P(Precision, MiniLM, ::testing::Values(DType::f32, DType::f16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace simscore
