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
  testing::expect_directory_read_as_reference(GetParam(), expected_);
}

TEST_P(TinyModel, Fp32HiddenStatesMatchTransformers) {
  testing::expect_fp32_hidden_states_match(GetParam(), expected_);
}

TEST_P(TinyModel, Fp32ScoresMatchTransformers) {
  testing::expect_fp32_scores_match(GetParam(), expected_);
}

TEST_P(TinyModel, Fp16StorageStaysCloseToTheFp32Reference) {
  testing::expect_fp16_close_to_reference(GetParam(), expected_);
}

// A window with failed rows is scored in place (cli/pair_run.cc): absent pairs get no score and
// every other pair gets its own, at its own position, whatever the length sort did.
TEST_P(TinyModel, AbsentPairsGetNoScoreAndTheOthersTheirOwn) {
  const io::LoadedModel model = testing::load_fixture_model(GetParam(), DType::f32);
  const BertEncoder encoder(model.config, model.weights, GemmBackend::onednn);
  PairScorer scorer(*model.tokenizer, encoder, model.scoring);
  const std::vector<TextPair> pairs = pairs_of(expected_);
  ASSERT_GE(pairs.size(), 3u);
  std::vector<std::optional<TextPair>> window;
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i % 3 == 1) window.emplace_back();
    window.emplace_back(pairs[i]);
  }
  window.emplace_back();
  const std::vector<std::optional<float>> scores = scorer.score(window);
  ASSERT_EQ(scores.size(), window.size());
  size_t pair = 0;
  for (size_t i = 0; i < window.size(); ++i) {
    if (!window[i]) {
      EXPECT_FALSE(scores[i].has_value()) << "absent row " << i;
      continue;
    }
    ASSERT_TRUE(scores[i].has_value()) << "row " << i;
    EXPECT_NEAR(*scores[i], expected_["scores"][pair].get<float>(), 1e-5) << "row " << i << ", pair " << pair;
    ++pair;
  }
  EXPECT_EQ(pair, pairs.size());
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
