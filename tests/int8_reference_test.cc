// --precision int8 against the reference: the tiny random-weight models against transformers fp32
// (tests/reference/make_model_fixtures.py), and the real all-MiniLM-L6-v2 on every pair of the
// STS-B English test split against our fp32 run and sentence-transformers' fp32 embeddings. The
// int8 encoder quantizes fp16 storage (weights per output row, inputs per token), every product by
// default and, with --int8-ffn-output fp32, all but the FFN output product (docs/performance.md
// "int8"); both are checked.
//
// Bounds, from the issue: STS-B Spearman within 0.005 of fp32 (0.003 where --precision auto picks
// int8, the default's bound). Measured on this project's AVX2 host
// (7-bit weights: no VNNI) against 0.820325 fp32: every product int8 0.817981 (-0.0023), largest
// score difference 0.043, worst embedding cosine to sentence-transformers' fp32 0.975; FFN output
// in fp32 0.818631 (-0.0017), 0.027, 0.984 (fp16: cosine 0.9999). The tiny models are stress models
// (initializer range 0.3, where bf16 already moves scores by 0.026): int8 moved scores by up to
// 0.108 (tiny-zh-cross, FFN output fp32; 0.107 tiny-en-bi-cls, every product) and embeddings to
// cosine 0.952 (tiny-en-bi-cls, every product; 0.975 FFN output fp32). The bounds below are about
// 2x the larger of the two measured differences (for cosines, 2x 1 - cosine).

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/encoder/bert_encoder.h"
#include "core/metrics/metrics.h"
#include "core/ops/auto_precision.h"
#include "core/ops/gemm.h"
#include "core/ops/product.h"
#include "core/scoring/pair_scorer.h"
#include "io/model_dir.h"
#include "reference_fixtures.h"
#include "test_paths.h"

namespace simscore {
namespace {

using nlohmann::json;
using testing::cosine;
using testing::pairs_of;

// The products of a --precision int8 run (or of a plain run) on the default backend (oneDNN).
ProductBackend backend_of(DType storage, bool int8, Int8FfnOutput ffn_output = Int8FfnOutput::int8) {
  return ProductBackend::for_storage(GemmBackend::onednn, storage, int8 ? Quantization::int8 : Quantization::none,
                                     ffn_output);
}

EncoderPlan plan_of(const io::LoadedModel& model, bool int8, Int8FfnOutput ffn_output = Int8FfnOutput::int8) {
  return EncoderPlan(model.config, model.weights, backend_of(model.weights.storage, int8, ffn_output),
                     compute_threads());
}

const char* variant_name(Int8FfnOutput ffn_output) {
  return ffn_output == Int8FfnOutput::int8 ? "every product int8" : "FFN output fp32";
}

// Whether that run multiplies in int8, so the weights load as such a run loads them (io::ModelLoadOptions).
bool int8_products(DType storage, bool int8) {
  return backend_of(storage, int8).precision == ComputePrecision::int8;
}

class TinyModelInt8 : public ::testing::TestWithParam<std::string> {};

TEST_P(TinyModelInt8, CloseToTransformersFp32) {
  SIMSCORE_REQUIRE_FIXTURE("expected/" + GetParam() + ".json");
  const json expected = testing::read_expected(GetParam());
  for (const Int8FfnOutput ffn_output : {Int8FfnOutput::int8, Int8FfnOutput::fp32}) {
    SCOPED_TRACE(variant_name(ffn_output));
    const io::LoadedModel model = testing::load_fixture_model(GetParam(), DType::f16, int8_products(DType::f16, true),
                                                              ffn_output);
    const BertEncoder encoder(model.config, model.weights, plan_of(model, true, ffn_output));
    ASSERT_EQ(encoder.precision(), ComputePrecision::int8) << encoder.kernel_description();
    EXPECT_EQ(encoder.packed_bytes(), encoder.plan().packed_bytes());
    PairScorer scorer(*model.tokenizer, encoder, model.scoring);
    const std::vector<float> scores = scorer.score(pairs_of(expected));
    double largest = 0;
    for (size_t i = 0; i < scores.size(); ++i) {
      const double d = std::abs(scores[i] - expected["scores"][i].get<double>());
      largest = std::max(largest, d);
      EXPECT_LT(d, 0.2) << "pair " << i;
    }
    std::cout << GetParam() << ", " << variant_name(ffn_output) << ": largest score difference from transformers fp32 "
              << largest << "\n";
    if (!expected.contains("embeddings")) continue;
    std::vector<std::string_view> texts;
    for (const auto& t : expected["texts"]) texts.push_back(t.get_ref<const std::string&>());
    const std::vector<float> embeddings = scorer.embed(texts);
    const int h = model.config.hidden_size;
    double worst = 1;
    for (size_t i = 0; i < texts.size(); ++i)
      worst = std::min(worst, cosine(embeddings.data() + i * h, expected["embeddings"][i].get<std::vector<float>>()));
    EXPECT_GE(worst, 0.9);
    std::cout << GetParam() << ", " << variant_name(ffn_output) << ": worst embedding cosine to transformers fp32 "
              << worst << "\n";
  }
}

INSTANTIATE_TEST_SUITE_P(HuggingFace, TinyModelInt8,
                         ::testing::Values("tiny-zh-bi", "tiny-en-bi-cls", "tiny-zh-bi-max", "tiny-en-plain",
                                           "tiny-zh-cross", "tiny-en-cross1"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

std::vector<float> minilm_scores(DType storage, bool int8, const std::vector<TextPair>& pairs,
                                 const std::vector<std::string_view>& texts, std::vector<float>* embeddings,
                                 Int8FfnOutput ffn_output = Int8FfnOutput::int8) {
  io::ModelLoadOptions options;
  options.precision = storage;
  options.int8_products = int8_products(storage, int8);
  options.int8_ffn_output = ffn_output;
  const io::LoadedModel model = io::load_model(testing::minilm_dir(), options);
  const BertEncoder encoder(model.config, model.weights, plan_of(model, int8, ffn_output));
  EXPECT_EQ(encoder.precision() == ComputePrecision::int8, int8) << encoder.kernel_description();
  EXPECT_EQ(encoder.packed_bytes(), encoder.plan().packed_bytes());
  PairScorer scorer(*model.tokenizer, encoder, model.scoring);
  if (embeddings) *embeddings = scorer.embed(texts);
  return scorer.score(pairs);
}

TEST(MiniLMInt8, StsbSpearmanWithin0005OfFp32) {
  SIMSCORE_REQUIRE_FIXTURE("expected/minilm_stsb.json");
  SIMSCORE_REQUIRE_PATH(testing::minilm_dir() / "model.safetensors", "run scripts/fetch_default_model.sh");
  testing::MiniLmStsb stsb;
  ASSERT_NO_FATAL_FAILURE(testing::read_minilm_stsb(stsb));
  const std::vector<TextPair>& pairs = stsb.pairs;
  const std::vector<double>& gold = stsb.gold;
  const std::vector<std::string_view>& texts = stsb.texts;

  const std::vector<float> fp32 = minilm_scores(DType::f32, false, pairs, {}, nullptr);
  for (const Int8FfnOutput ffn_output : {Int8FfnOutput::int8, Int8FfnOutput::fp32}) {
    SCOPED_TRACE(variant_name(ffn_output));
    std::vector<float> embeddings;
    const std::vector<float> int8 = minilm_scores(DType::f16, true, pairs, texts, &embeddings, ffn_output);
    auto spearman_of = [&](const std::vector<float>& scores) {
      return *spearman(std::vector<double>(scores.begin(), scores.end()), gold);
    };
    const double fp32_spearman = spearman_of(fp32), int8_spearman = spearman_of(int8);
    EXPECT_NEAR(int8_spearman, fp32_spearman, 0.005);
    // Where int8 is what --precision auto runs here, it is held to the default's bound, 0.003.
    if (ffn_output == Int8FfnOutput::int8 &&
        resolve_precision("auto", GemmBackend::onednn).precision == RunPrecision::int8)
      EXPECT_NEAR(int8_spearman, fp32_spearman, 0.003) << "int8 is this host's default (--precision auto)";
    double largest = 0;
    size_t largest_at = 0;
    for (size_t i = 0; i < pairs.size(); ++i) {
      const double d = std::abs(double{int8[i]} - fp32[i]);
      if (d > largest) largest = d, largest_at = i;
    }
    EXPECT_LT(largest, 0.09) << "pair " << largest_at;
    double worst_cosine = 1;
    for (size_t i = 0; i < texts.size(); ++i)
      worst_cosine = std::min(worst_cosine, cosine(embeddings.data() + i * 384, stsb.embedding(i), 384));
    EXPECT_GE(worst_cosine, 0.95);
    RecordProperty(ffn_output == Int8FfnOutput::int8 ? "largest_score_difference"
                                                    : "largest_score_difference_ffn_output_fp32",
                   std::to_string(largest));
    std::cout << "STS-B test Spearman: fp32 " << fp32_spearman << ", int8 (" << variant_name(ffn_output) << ") "
              << int8_spearman << " (difference " << int8_spearman - fp32_spearman << "); largest score difference "
              << largest << " (pair " << largest_at << "); worst embedding cosine to sentence-transformers "
              << worst_cosine << "\n";
  }
}

}  // namespace
}  // namespace simscore
