// The encoder on its other compute paths against HuggingFace (tiny random-weight models written by
// tests/reference/make_model_fixtures.py, run by transformers in fp32):
//  - the OpenBLAS fallback backend and oneDNN with prepacked fp32 weights: held to the same
//    tolerances as the default path (oneDNN, weights streamed) in encoder_reference_test (hidden
//    states within 1e-4, scores within 1e-5);
//  - bf16 compute (bf16 weights and product inputs, fp32 sums, LayerNorm/softmax/GELU in fp32):
//    scores within 5e-2 of the fp32 reference and pooled embeddings at cosine >= 0.999. bf16 keeps 8
//    significant bits, 8x coarser than fp16, whose storage is held to 2e-3 in
//    encoder_reference_test; these tiny models are a stress case (initializer_range 0.3: large
//    logits, saturated softmaxes, hidden 32 so nothing averages out). Measured here: largest score
//    difference 0.026 (tiny-zh-cross, probabilities in [0, 1]), worst cosine 0.99944 — the bounds
//    are ~2x those, and still fail for a real mistake (wrong layout, missing bias: errors >= 0.1).
//    The accuracy that matters for users is measured on the real all-MiniLM-L6-v2
//    (minilm_bf16_test: STS-B Spearman within 0.002 of fp32).

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/encoder/bert_encoder.h"
#include "core/ops/gemm.h"
#include "core/ops/linear_block.h"
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

// What the products of an encoder of this shape on `kind` will hold, before any weight is read.
size_t planned_packed_bytes(const EncoderConfig& config, DType storage, GemmBackend kind) {
  return EncoderPlan(config, weight_shapes(config, storage, false, 0), ProductBackend::for_storage(kind, storage), 1)
      .packed_bytes();
}

class Backend : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    SIMSCORE_REQUIRE_FIXTURE("expected/" + GetParam() + ".json");
    std::ifstream in(fixtures_dir() / "expected" / (GetParam() + ".json"));
    expected_ = json::parse(in);
  }

  io::LoadedModel load(DType precision) {
    io::ModelLoadOptions options;
    options.precision = precision;
    return io::load_model(fixtures_dir() / "models" / GetParam(), options);
  }
  json expected_;
};

TEST_P(Backend, OtherBackendsMatchTransformers) {
  for (GemmBackend backend : {GemmBackend::openblas, GemmBackend::onednn_prepacked})
  for (DType storage : {DType::f32, DType::f16}) {
    const io::LoadedModel model = load(storage);
    const BertEncoder encoder(model.config, model.weights, backend);
    const bool openblas = backend == GemmBackend::openblas;
    EXPECT_EQ(encoder.packed_bytes() > 0, !openblas);
    EXPECT_NE(encoder.kernel_description().find(openblas ? "OpenBLAS" : "prepacked"), std::string::npos)
        << encoder.kernel_description();
    if (storage == DType::f32) {
      Workspace workspace;
      for (const json& case_ : expected_["hidden"]) {
        TokenBatch batch;
        batch.add({case_["ids"].get<std::vector<int32_t>>(), case_["type_ids"].get<std::vector<int32_t>>()});
        const float* hidden = encoder.forward(batch, workspace);
        const auto& states = case_["last_hidden_state"];
        float worst = 0;
        for (size_t t = 0; t < states.size(); ++t)
          for (size_t c = 0; c < states[t].size(); ++c)
            worst = std::max(worst, std::abs(hidden[t * model.config.hidden_size + c] - states[t][c].get<float>()));
        EXPECT_LE(worst, 1e-4f);
      }
    }
    PairScorer scorer(*model.tokenizer, encoder, model.scoring);
    const std::vector<float> scores = scorer.score(pairs_of(expected_));
    ASSERT_EQ(scores.size(), expected_["scores"].size());
    for (size_t i = 0; i < scores.size(); ++i)
      EXPECT_NEAR(scores[i], expected_["scores"][i].get<float>(), storage == DType::f32 ? 1e-5 : 2e-3)
          << dtype_name(storage) << " pair " << i << " " << encoder.kernel_description();
    EXPECT_GT(encoder.timings().matmul_seconds, 0.0);
  }
}

TEST_P(Backend, Bf16ComputeStaysCloseToTheFp32Reference) {
  if (!bf16_support().available) GTEST_SKIP() << "no native bf16 products: " << bf16_support().description;
  const io::LoadedModel model = load(DType::bf16);
  const BertEncoder encoder(model.config, model.weights, GemmBackend::onednn);
  ASSERT_EQ(encoder.precision(), ComputePrecision::bf16) << encoder.kernel_description();
  PairScorer scorer(*model.tokenizer, encoder, model.scoring);
  const std::vector<float> scores = scorer.score(pairs_of(expected_));
  ASSERT_EQ(scores.size(), expected_["scores"].size());
  double worst_score = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    const double difference = std::abs(scores[i] - expected_["scores"][i].get<double>());
    worst_score = std::max(worst_score, difference);
    EXPECT_LE(difference, 5e-2) << "pair " << i;
  }
  double worst_cosine = 1;
  if (expected_.contains("embeddings")) {
    std::vector<std::string_view> texts;
    for (const auto& t : expected_["texts"]) texts.push_back(t.get_ref<const std::string&>());
    const std::vector<float> embeddings = scorer.embed(texts);
    const int h = model.config.hidden_size;
    for (size_t i = 0; i < texts.size(); ++i) {
      const double c = cosine(embeddings.data() + i * h, expected_["embeddings"][i].get<std::vector<float>>());
      worst_cosine = std::min(worst_cosine, c);
      EXPECT_GE(c, 0.999) << "text " << i;
    }
  }
  std::cout << GetParam() << " bf16: largest score difference " << worst_score << ", worst cosine "
            << worst_cosine << "\n";
  const EncoderTimings& t = encoder.timings();
  EXPECT_GT(t.matmul_seconds, 0.0);
  EXPECT_GT(t.attention_seconds, 0.0);
  EXPECT_GT(t.tokens, 0u);
}

TEST_P(Backend, PlannedPackedBytesBoundTheRealOnes) {
  for (GemmBackend backend : {GemmBackend::onednn, GemmBackend::onednn_prepacked, GemmBackend::openblas})
  for (DType storage : {DType::f32, DType::f16, DType::bf16}) {
    const io::LoadedModel model = load(storage);
    const BertEncoder encoder(model.config, model.weights, backend);
    // Copies only where products read a prepacked layout: bf16 compute, or asked for.
    const bool copies = backend == GemmBackend::onednn_prepacked ||
                        (backend == GemmBackend::onednn &&
                         ProductBackend::for_storage(backend, storage).precision == ComputePrecision::bf16);
    const size_t planned = planned_packed_bytes(model.config, storage, backend);
    EXPECT_EQ(encoder.packed_bytes() > 0, copies) << dtype_name(storage) << " " << encoder.kernel_description();
    EXPECT_EQ(planned > 0, copies);
    EXPECT_LE(encoder.packed_bytes(), planned);
  }
}

TEST(PlannedPackedBytes, ExactForBertShapes) {
  // bert-base: 12 layers of 4 H^2 + 2 H FFN parameters, packed in fp32 (fp16 storage) or bf16.
  EncoderConfig base;
  base.hidden_size = 768, base.intermediate_size = 3072, base.num_layers = 12, base.num_heads = 12;
  const size_t parameters = 12 * (4 * 768 * 768 + 2 * 768 * 3072);
  EXPECT_EQ(planned_packed_bytes(base, DType::f16, GemmBackend::onednn), 0u);  // streamed by default
  if (bf16_support().available) {
    EXPECT_EQ(planned_packed_bytes(base, DType::bf16, GemmBackend::onednn), parameters * 2);
  }
  EXPECT_EQ(planned_packed_bytes(base, DType::f16, GemmBackend::onednn_prepacked), parameters * 4);
}

INSTANTIATE_TEST_SUITE_P(HuggingFace, Backend,
                         ::testing::Values("tiny-zh-bi", "tiny-en-bi-cls", "tiny-zh-bi-max",
                                           "tiny-en-plain", "tiny-zh-cross", "tiny-en-cross1"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

}  // namespace
}  // namespace simscore
