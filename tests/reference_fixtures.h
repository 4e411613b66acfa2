#pragma once
// Reading what tests/reference/*.py wrote: the expected outputs of a tiny model, the model itself,
// its pairs, and the cosine used to compare embeddings (in double, independent of our own kernels).

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/encoder/bert_encoder.h"
#include "core/scoring/pair_scorer.h"
#include "io/model_dir.h"
#include "test_paths.h"

namespace simscore::testing {

inline nlohmann::json read_expected(const std::string& name) {
  std::ifstream in(fixtures_dir() / "expected" / (name + ".json"));
  return nlohmann::json::parse(in);
}

// `int8_products`: the matrices int8 products multiply held as int8, as a --precision int8 run loads them
// (the FFN output among them unless Int8FfnOutput::fp32: --int8-ffn-output fp32).
inline io::LoadedModel load_fixture_model(const std::string& name, DType precision, bool int8_products = false,
                                          Int8FfnOutput int8_ffn_output = Int8FfnOutput::int8) {
  io::ModelLoadOptions options;
  options.precision = precision;
  options.int8_products = int8_products;
  options.int8_ffn_output = int8_ffn_output;
  return io::load_model(fixtures_dir() / "models" / name, options);
}

// The expected file's "pairs", as views into it (it must outlive them).
inline std::vector<TextPair> pairs_of(const nlohmann::json& expected) {
  std::vector<TextPair> pairs;
  for (const auto& p : expected["pairs"])
    pairs.push_back({p[0].get_ref<const std::string&>(), p[1].get_ref<const std::string&>()});
  return pairs;
}

inline double cosine(const float* a, const float* b, size_t size) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < size; ++i) {
    dot += double{a[i]} * b[i];
    na += double{a[i]} * a[i];
    nb += double{b[i]} * b[i];
  }
  return dot / std::sqrt(na * nb);
}

inline double cosine(const float* a, const std::vector<float>& b) { return cosine(a, b.data(), b.size()); }

// Every pair of the STS-B English test split and every distinct text, as
// tests/reference/minilm_stsb.py wrote them: gold scores, and sentence-transformers' fp32
// embeddings of the texts by all-MiniLM-L6-v2 ([texts, 384]). `pairs` and `texts` view into
// `expected`, so the struct is not copied.
struct MiniLmStsb {
  static constexpr size_t kWidth = 384;
  nlohmann::json expected;
  std::vector<float> embeddings;
  std::vector<TextPair> pairs;
  std::vector<double> gold;
  std::vector<std::string_view> texts;

  MiniLmStsb() = default;
  MiniLmStsb(const MiniLmStsb&) = delete;
  MiniLmStsb& operator=(const MiniLmStsb&) = delete;

  const float* embedding(size_t text) const { return embeddings.data() + text * kWidth; }
};

// Fills `stsb` (call it inside ASSERT_NO_FATAL_FAILURE; the fixture must exist:
// SIMSCORE_REQUIRE_FIXTURE("expected/minilm_stsb.json")).
inline void read_minilm_stsb(MiniLmStsb& stsb) {
  std::ifstream in(fixtures_dir() / "expected/minilm_stsb.json");
  stsb.expected = nlohmann::json::parse(in);
  std::ifstream raw(fixtures_dir() / "expected/minilm_stsb_embeddings.f32", std::ios::binary);
  stsb.embeddings.resize(stsb.expected["texts"].size() * MiniLmStsb::kWidth);
  raw.read(reinterpret_cast<char*>(stsb.embeddings.data()),
           static_cast<std::streamsize>(stsb.embeddings.size() * sizeof(float)));
  ASSERT_TRUE(raw) << "minilm_stsb_embeddings.f32 is short";
  stsb.pairs = pairs_of(stsb.expected);
  for (const auto& g : stsb.expected["gold"]) stsb.gold.push_back(g.get<double>());
  ASSERT_EQ(stsb.gold.size(), stsb.pairs.size());
  for (const auto& t : stsb.expected["texts"]) stsb.texts.push_back(t.get_ref<const std::string&>());
}

// The default model: $SIMSCORE_DEFAULT_MODEL, else models/all-MiniLM-L6-v2 in the checkout.
inline std::filesystem::path minilm_dir() {
  return env_or("SIMSCORE_DEFAULT_MODEL", (source_dir() / "models/all-MiniLM-L6-v2").c_str());
}


// The checks every tiny reference model goes through (BERT and XLM-R families alike): the model
// directory as the reference read it, fp32 hidden states within 1e-4 and scores within 1e-5 of
// transformers, and fp16 storage within 2e-3 (scores) and cosine 0.9999 (embeddings).
inline void expect_directory_read_as_reference(const std::string& name, const nlohmann::json& expected) {
  const io::LoadedModel model = testing::load_fixture_model(name, DType::f32);
  EXPECT_EQ(model.scoring.mode == ScoringMode::bi ? "bi" : "cross", expected["mode"]);
  EXPECT_EQ(model.scoring.max_length, expected["max_length"].get<size_t>()) << model.max_length_source;
}

inline void expect_fp32_hidden_states_match(const std::string& name, const nlohmann::json& expected) {
  const io::LoadedModel model = testing::load_fixture_model(name, DType::f32);
  const BertEncoder encoder(model.config, model.weights, GemmBackend::onednn);
  Workspace workspace;
  for (const nlohmann::json& case_ : expected["hidden"]) {
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

inline void expect_fp32_scores_match(const std::string& name, const nlohmann::json& expected) {
  const io::LoadedModel model = testing::load_fixture_model(name, DType::f32);
  const BertEncoder encoder(model.config, model.weights, GemmBackend::onednn);
  PairScorer scorer(*model.tokenizer, encoder, model.scoring);
  const std::vector<float> scores = scorer.score(pairs_of(expected));
  ASSERT_EQ(scores.size(), expected["scores"].size());
  for (size_t i = 0; i < scores.size(); ++i)
    EXPECT_NEAR(scores[i], expected["scores"][i].get<float>(), 1e-5) << "pair " << i;
}

inline void expect_fp16_close_to_reference(const std::string& name, const nlohmann::json& expected) {
  const io::LoadedModel model = testing::load_fixture_model(name, DType::f16);
  EXPECT_EQ(model.weights.storage, DType::f16);
  const BertEncoder encoder(model.config, model.weights, GemmBackend::onednn);
  PairScorer scorer(*model.tokenizer, encoder, model.scoring);
  const std::vector<float> scores = scorer.score(pairs_of(expected));
  for (size_t i = 0; i < scores.size(); ++i)
    EXPECT_NEAR(scores[i], expected["scores"][i].get<float>(), 2e-3) << "pair " << i;

  if (!expected.contains("embeddings")) return;
  std::vector<std::string_view> texts;
  for (const auto& t : expected["texts"]) texts.push_back(t.get_ref<const std::string&>());
  const std::vector<float> embeddings = scorer.embed(texts);
  const int h = model.config.hidden_size;
  for (size_t i = 0; i < texts.size(); ++i)
    EXPECT_GE(cosine(embeddings.data() + i * h, expected["embeddings"][i].get<std::vector<float>>()),
              0.9999f)
        << "text " << i << ": " << texts[i];
}

}  // namespace simscore::testing
