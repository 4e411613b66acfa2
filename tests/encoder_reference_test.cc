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
