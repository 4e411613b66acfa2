// The real all-MiniLM-L6-v2 (the default model) against sentence-transformers on every sentence of
// the STS-B English test split: embeddings at cosine >= 0.9999 and the Spearman correlation with the
// gold scores within 0.001 of sentence-transformers' (the published figure is 82.03).

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/encoder/bert_encoder.h"
#include "core/metrics/metrics.h"
#include "core/scoring/pair_scorer.h"
#include "io/model_dir.h"
#include "reference_fixtures.h"
#include "test_paths.h"

namespace simscore {
namespace {

using nlohmann::json;
using testing::minilm_dir;


class MiniLM : public ::testing::TestWithParam<DType> {
 protected:
  void SetUp() override {
    SIMSCORE_REQUIRE_FIXTURE("expected/minilm_stsb.json");
    SIMSCORE_REQUIRE_PATH(minilm_dir() / "model.safetensors", "run scripts/fetch_default_model.sh");
    std::ifstream in(testing::fixtures_dir() / "expected/minilm_stsb.json");
    expected_ = json::parse(in);
    std::ifstream raw(testing::fixtures_dir() / "expected/minilm_stsb_embeddings.f32", std::ios::binary);
    reference_.resize(expected_["texts"].size() * 384);
    raw.read(reinterpret_cast<char*>(reference_.data()), reference_.size() * sizeof(float));
    ASSERT_TRUE(raw) << "minilm_stsb_embeddings.f32 is short";
  }
  json expected_;
  std::vector<float> reference_;
};

TEST_P(MiniLM, EmbeddingsMatchSentenceTransformersOnStsbTest) {
  io::ModelLoadOptions options;
  options.precision = GetParam();
  const io::LoadedModel model = io::load_model(minilm_dir(), options);
  ASSERT_EQ(model.config.hidden_size, 384);
  const BertEncoder encoder(model.config, model.weights, GemmBackend::onednn);
  PairScorer scorer(*model.tokenizer, encoder, model.scoring);

  std::vector<std::string_view> texts;
  for (const auto& t : expected_["texts"]) texts.push_back(t.get_ref<const std::string&>());
  const std::vector<float> ours = scorer.embed(texts);
  float worst = 1;
  size_t worst_index = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    double dot = 0, na = 0, nb = 0;
    for (size_t c = 0; c < 384; ++c) {
      dot += double{ours[i * 384 + c]} * reference_[i * 384 + c];
      na += double{ours[i * 384 + c]} * ours[i * 384 + c];
      nb += double{reference_[i * 384 + c]} * reference_[i * 384 + c];
    }
    const auto cosine = static_cast<float>(dot / std::sqrt(na * nb));
    if (cosine < worst) worst = cosine, worst_index = i;
  }
  EXPECT_GE(worst, 0.9999f) << "worst text: " << texts[worst_index];
  RecordProperty("worst_cosine", std::to_string(worst));

  std::vector<TextPair> pairs;
  std::vector<double> gold;
  for (size_t i = 0; i < expected_["pairs"].size(); ++i) {
    const auto& p = expected_["pairs"][i];
    pairs.push_back({p[0].get_ref<const std::string&>(), p[1].get_ref<const std::string&>()});
    gold.push_back(expected_["gold"][i].get<double>());
  }
  ASSERT_EQ(pairs.size(), 1379u);
  const std::vector<float> scores = scorer.score(pairs);
  const std::vector<double> as_double(scores.begin(), scores.end());
  const double ours_spearman = *spearman(as_double, gold) * 100;
  EXPECT_NEAR(ours_spearman, expected_["spearman"].get<double>(), 0.001)
      << "sentence-transformers: " << expected_["spearman"];
  std::cout << "STS-B test Spearman x100: simscore " << ours_spearman << ", sentence-transformers "
            << expected_["spearman"] << ", worst embedding cosine " << worst << "\n";
}

INSTANTIATE_TEST_SUITE_P(Precision, MiniLM, ::testing::Values(DType::f32, DType::f16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace simscore
