// StructBERT as ModelScope ships it (pytorch_model.bin, model_type "structbert", id2label) scored
// against the same model in PyTorch (tests/reference/make_structbert_fixtures.py), its converted
// safetensors copy (the same weights, byte for byte), and the real all-MiniLM-L6-v2 read from a
// .bin instead of its safetensors.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/encoder/bert_encoder.h"
#include "core/scoring/pair_scorer.h"
#include "io/model_dir.h"
#include "io/safetensors.h"
#include "temp_dir.h"
#include "test_paths.h"

namespace simscore {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Tolerances of the reference suite (docs/performance.md "Accuracy"): fp32 weights compute what
// PyTorch does up to summation order; fp16 storage rounds every weight matrix.
constexpr double kFp32Tolerance = 1e-5;
constexpr double kFp16Tolerance = 2e-3;

fs::path model_dir(const std::string& name) { return testing::fixtures_dir() / "models" / name; }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::pair<std::string, std::string>> read_pairs(const fs::path& path) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const size_t tab = line.find('\t');
    pairs.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  return pairs;
}

struct Scored {
  std::vector<float> scores;
  io::LoadedModel model;
};

Scored score(const fs::path& dir, DType precision,
             const std::vector<std::pair<std::string, std::string>>& pairs) {
  io::ModelLoadOptions options;
  options.precision = precision;
  Scored out{{}, io::load_model(dir, options)};
  const BertEncoder encoder(out.model.config, out.model.weights, GemmBackend::onednn);
  PairScorer scorer(*out.model.tokenizer, encoder, out.model.scoring);
  std::vector<TextPair> views;
  for (const auto& [a, b] : pairs) views.push_back({a, b});
  out.scores = scorer.score(views);
  return out;
}

double worst_difference(const std::vector<float>& ours, const json& reference) {
  EXPECT_EQ(ours.size(), reference.size());
  double worst = 0;
  for (size_t i = 0; i < std::min(ours.size(), reference.size()); ++i)
    worst = std::max(worst, std::fabs(ours[i] - reference[i].get<double>()));
  return worst;
}

// The encoder's scores vary in the last bits from run to run (threaded reductions), so "the same
// model" is checked where it is exact: every weight that reaches the encoder, byte for byte.
void expect_same_matrix(const TensorView& a, const TensorView& b, const std::string& what) {
  ASSERT_EQ(a.dtype, b.dtype) << what;
  ASSERT_EQ(a.shape, b.shape) << what;
  EXPECT_EQ(std::memcmp(a.data, b.data, a.bytes()), 0) << what;
}
void expect_same_linear(const Linear& a, const Linear& b, const std::string& what) {
  expect_same_matrix(a.weight, b.weight, what);
  EXPECT_EQ(a.bias, b.bias) << what;
}
void expect_same_weights(const EncoderWeights& a, const EncoderWeights& b) {
  expect_same_matrix(a.word_embeddings, b.word_embeddings, "word embeddings");
  expect_same_matrix(a.position_embeddings, b.position_embeddings, "position embeddings");
  expect_same_matrix(a.token_type_embeddings, b.token_type_embeddings, "token type embeddings");
  EXPECT_EQ(a.embedding_norm.gamma, b.embedding_norm.gamma);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t i = 0; i < a.layers.size(); ++i) {
    const auto& x = a.layers[i];
    const auto& y = b.layers[i];
    const std::string at = "layer " + std::to_string(i);
    expect_same_linear(x.query, y.query, at + " query");
    expect_same_linear(x.key, y.key, at + " key");
    expect_same_linear(x.value, y.value, at + " value");
    expect_same_linear(x.attention_output, y.attention_output, at + " attention output");
    expect_same_linear(x.intermediate, y.intermediate, at + " intermediate");
    expect_same_linear(x.output, y.output, at + " output");
    EXPECT_EQ(x.attention_norm.gamma, y.attention_norm.gamma) << at;
    EXPECT_EQ(x.output_norm.beta, y.output_norm.beta) << at;
  }
  ASSERT_EQ(a.pooler.has_value(), b.pooler.has_value());
  if (a.pooler) expect_same_linear(*a.pooler, *b.pooler, "pooler");
  ASSERT_EQ(a.classifier.has_value(), b.classifier.has_value());
  if (a.classifier) expect_same_linear(*a.classifier, *b.classifier, "classifier");
}
constexpr double kRunToRun = 1e-5;  // what two runs of one model differ by

// Runs the simscore binary; returns its exit code and puts its stdout in `out`.
int run_simscore(const std::string& args, std::string* out = nullptr) {
  const testing::OwnTempDir dir("structbert-run");
  const fs::path stdout_path = dir / "simscore_stdout.txt";
  const std::string command =
      testing::simscore_binary().string() + " " + args + " > " + stdout_path.string() + " 2>&1";
  const int status = std::system(command.c_str());
  if (out) *out = read_file(stdout_path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class StructBert : public ::testing::Test {
 protected:
  void SetUp() override {
    SIMSCORE_REQUIRE_FIXTURE("expected/structbert.json");
    expected_ = json::parse(read_file(testing::fixtures_dir() / "expected/structbert.json"));
    pairs_ = read_pairs(testing::fixtures_dir() / "pairs/structbert.tsv");
    ASSERT_EQ(pairs_.size(), expected_["pairs"].get<size_t>());
  }
  json expected_;
  std::vector<std::pair<std::string, std::string>> pairs_;
};

TEST_F(StructBert, PytorchModelBinScoresAsPyTorchDoes) {
  const Scored fp32 = score(model_dir("structbert-tiny"), DType::f32, pairs_);
  EXPECT_NE(fp32.model.tensor_layout.find("StructBERT"), std::string::npos) << fp32.model.tensor_layout;
  EXPECT_EQ(fp32.model.scoring.mode, ScoringMode::cross);
  EXPECT_EQ(fp32.model.scoring.positive_label, 1);
  const double worst32 = worst_difference(fp32.scores, expected_["scores"]);
  EXPECT_LE(worst32, kFp32Tolerance);
  RecordProperty("worst_fp32", std::to_string(worst32));

  const Scored fp16 = score(model_dir("structbert-tiny"), DType::f16, pairs_);
  const double worst16 = worst_difference(fp16.scores, expected_["scores"]);
  EXPECT_LE(worst16, kFp16Tolerance);
  RecordProperty("worst_fp16", std::to_string(worst16));
}

TEST_F(StructBert, HalfAndBfloat16StoragesAreRead) {
  const Scored half = score(model_dir("structbert-tiny-fp16"), DType::f16, pairs_);
  EXPECT_LE(worst_difference(half.scores, expected_["scores"]), kFp16Tolerance);
  // bf16 weights widened to fp32 are exact, so the reference is PyTorch on the rounded weights.
  const Scored bf16 = score(model_dir("structbert-tiny-bf16"), DType::f32, pairs_);
  EXPECT_LE(worst_difference(bf16.scores, expected_["scores_bf16"]), kFp32Tolerance);
}

TEST_F(StructBert, TheScoreIsTheProbabilityOfTheLabelTheConfigCallsSimilar) {
  // Classifier rows swapped and id2label {"0": "1", "1": "0"}: the same probabilities.
  const Scored swapped = score(model_dir("structbert-tiny-swapped"), DType::f32, pairs_);
  EXPECT_EQ(swapped.model.scoring.positive_label, 0);
  EXPECT_LE(worst_difference(swapped.scores, expected_["scores"]), kFp32Tolerance);
}

TEST_F(StructBert, ConvertedDirectoryScoresExactlyAsTheOriginal) {
  const testing::OwnTempDir dir("structbert-convert");
  const fs::path out = dir / "structbert-converted";
  ASSERT_EQ(run_simscore("convert --model " + model_dir("structbert-tiny").string() +
                         " --precision fp16 " + out.string()),
            0);
  for (const char* file : {"config.json", "configuration.json", "vocab.txt", "model.safetensors"})
    EXPECT_TRUE(fs::exists(out / file)) << file;
  EXPECT_FALSE(fs::exists(out / "pytorch_model.bin"));
  // Matrices in F16 and laid out as the safetensors library lays them out: larger dtypes first,
  // then by name, so every tensor is aligned for its type.
  const auto file = io::SafetensorsFile::open(out / "model.safetensors");
  EXPECT_EQ(file->find("bert.encoder.layer.0.attention.self.query.weight")->dtype, "F16");
  EXPECT_EQ(file->find("bert.encoder.layer.0.attention.self.query.bias")->dtype, "F32");
  EXPECT_EQ(file->entries().front().name, "bert.embeddings.position_ids");
  std::vector<std::string> half_names;
  for (const auto& e : file->entries()) {
    const size_t element = io::safetensors_dtype_size(e.dtype);
    EXPECT_EQ(e.offset % element, 0u) << e.name;
    if (e.dtype == "F16") half_names.push_back(e.name);
  }
  EXPECT_TRUE(std::is_sorted(half_names.begin(), half_names.end()));

  const Scored original = score(model_dir("structbert-tiny"), DType::f16, pairs_);
  const Scored converted = score(out, DType::f16, pairs_);
  expect_same_weights(converted.model.weights, original.model.weights);
  EXPECT_LE(worst_difference(converted.scores, json(original.scores)), kRunToRun);
  EXPECT_EQ(converted.model.scoring.positive_label, 1);

  // OUT_DIR is never overwritten.
  EXPECT_NE(run_simscore("convert --model " + model_dir("structbert-tiny").string() + " " + out.string()), 0);
  fs::remove_all(out);
}

TEST_F(StructBert, InspectDescribesTheCheckpoint) {
  std::string out;
  ASSERT_EQ(run_simscore("inspect --model " + model_dir("structbert-tiny").string(), &out), 0) << out;
  for (const char* expected :
       {"SbertForSequenceClassification", "layers         2\n", "hidden         32 ",
        "F32 41 tensors", "I64 1 tensor", "wordpiece (vocab.txt), max length 512", "fp16 "})
    EXPECT_NE(out.find(expected), std::string::npos) << expected << "\n" << out;
  // fp16 and fp32 weights are used as stored; bf16 products read prepacked copies where they run.
  const auto line = [&out](const std::string& start) {
    const size_t at = out.find("\n  " + start);
    return at == std::string::npos ? std::string() : out.substr(at + 1, out.find('\n', at + 1) - at - 1);
  };
  EXPECT_EQ(line("fp16 ").find("prepacked"), std::string::npos) << out;
  EXPECT_EQ(line("fp32 ").find("prepacked"), std::string::npos) << out;
  EXPECT_EQ(line("bf16 ").find("prepacked") != std::string::npos, bf16_support().available) << out;
}

// The real all-MiniLM-L6-v2 with its weights re-saved by torch.save scores exactly as from its
// safetensors: the same bytes reach the encoder.
TEST(MiniLmFromPytorchBin, ScoresIdenticalToSafetensors) {
  SIMSCORE_REQUIRE_FIXTURE("models/minilm-bin/pytorch_model.bin");
  const fs::path safetensors_dir = testing::source_dir() / "models/all-MiniLM-L6-v2";
  SIMSCORE_REQUIRE_PATH(safetensors_dir / "model.safetensors", "run scripts/fetch_default_model.sh");
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"A man is playing a guitar.", "A person plays an instrument."},
      {"The cat sits on the mat.", "Stock markets fell sharply today."},
      {"How do I reset my password?", "I forgot my password, how can I change it?"},
      {"Il pleut des cordes.", "It is raining heavily."},
  };
  for (const DType precision : {DType::f32, DType::f16}) {
    const Scored bin = score(model_dir("minilm-bin"), precision, pairs);
    const Scored st = score(safetensors_dir, precision, pairs);
    expect_same_weights(bin.model.weights, st.model.weights);
    EXPECT_LE(worst_difference(bin.scores, json(st.scores)), kRunToRun) << dtype_name(precision);
    EXPECT_EQ(bin.model.scoring.mode, ScoringMode::bi);
  }
}

}  // namespace
}  // namespace simscore
