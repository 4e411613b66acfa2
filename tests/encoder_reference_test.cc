// The encoder and both scoring modes against HuggingFace: tiny random-weight models written and run
// by tests/reference/make_model_fixtures.py (transformers / sentence-transformers in fp32).
//
// Tolerances (from the foundation issue): fp32 hidden states within 1e-4 and scores within 1e-5 of
// transformers; fp16 weight storage scores within 2e-3 of the fp32 reference and pooled embeddings
// at cosine >= 0.9999.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/encoder/bert_encoder.h"
#include "core/ops/gemm.h"
#include "core/scoring/pair_scorer.h"
#include "io/model_dir.h"
#include "reference_fixtures.h"
#include "test_paths.h"

namespace simscore {
namespace {

using nlohmann::json;
using testing::fixtures_dir;
using testing::cosine;
using testing::pairs_of;
using testing::read_expected;


class TinyModel : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    SIMSCORE_REQUIRE_FIXTURE("expected/" + GetParam() + ".json");
    expected_ = read_expected(GetParam());
  }
  json expected_;
};

TEST_P(TinyModel, DirectoryIsReadAsTheReferenceReadIt) {
  const io::LoadedModel model = testing::load_fixture_model(GetParam(), DType::f32);
  EXPECT_EQ(model.scoring.mode == ScoringMode::bi ? "bi" : "cross", expected_["mode"]);
  EXPECT_EQ(model.scoring.max_length, expected_["max_length"].get<size_t>()) << model.max_length_source;
}

TEST_P(TinyModel, Fp32HiddenStatesMatchTransformers) {
  const io::LoadedModel model = testing::load_fixture_model(GetParam(), DType::f32);
  const BertEncoder encoder(model.config, model.weights);
  Workspace workspace;
  for (const json& case_ : expected_["hidden"]) {
    TokenBatch batch;
    batch.add({case_["ids"].get<std::vector<int32_t>>(), case_["type_ids"].get<std::vector<int32_t>>()});
    const float* hidden = encoder.forward(batch, workspace);
    const auto& states = case_["last_hidden_state"];
    ASSERT_EQ(states.size(), batch.tokens());
    float worst = 0;
    for (size_t t = 0; t < states.size(); ++t)
      for (size_t c = 0; c < states[t].size(); ++c)
        worst = std::max(worst, std::abs(hidden[t * model.config.hidden_size + c] - states[t][c].get<float>()));
    EXPECT_LE(worst, 1e-4f) << "max abs difference of last_hidden_state";
  }
}

TEST_P(TinyModel, Fp32ScoresMatchTransformers) {
  const io::LoadedModel model = testing::load_fixture_model(GetParam(), DType::f32);
  const BertEncoder encoder(model.config, model.weights);
  PairScorer scorer(*model.tokenizer, encoder, model.scoring);
  const std::vector<float> scores = scorer.score(pairs_of(expected_));
  ASSERT_EQ(scores.size(), expected_["scores"].size());
  for (size_t i = 0; i < scores.size(); ++i)
    EXPECT_NEAR(scores[i], expected_["scores"][i].get<float>(), 1e-5) << "pair " << i;
}

TEST_P(TinyModel, Fp16StorageStaysCloseToTheFp32Reference) {
  const io::LoadedModel model = testing::load_fixture_model(GetParam(), DType::f16);
  EXPECT_EQ(model.weights.storage, DType::f16);
  const BertEncoder encoder(model.config, model.weights);
  PairScorer scorer(*model.tokenizer, encoder, model.scoring);
  const std::vector<float> scores = scorer.score(pairs_of(expected_));
  for (size_t i = 0; i < scores.size(); ++i)
    EXPECT_NEAR(scores[i], expected_["scores"][i].get<float>(), 2e-3) << "pair " << i;

  if (!expected_.contains("embeddings")) return;
  std::vector<std::string_view> texts;
  for (const auto& t : expected_["texts"]) texts.push_back(t.get_ref<const std::string&>());
  const std::vector<float> embeddings = scorer.embed(texts);
  const int h = model.config.hidden_size;
  for (size_t i = 0; i < texts.size(); ++i)
    EXPECT_GE(cosine(embeddings.data() + i * h, expected_["embeddings"][i].get<std::vector<float>>()),
              0.9999f)
        << "text " << i << ": " << texts[i];
}

INSTANTIATE_TEST_SUITE_P(HuggingFace, TinyModel,
                         ::testing::Values("tiny-zh-bi", "tiny-en-bi-cls", "tiny-zh-bi-max",
                                           "tiny-en-plain", "tiny-zh-cross", "tiny-en-cross1"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace simscore
