// Our SentencePiece (XLM-R) tokenizer against transformers' XLMRobertaTokenizer and HuggingFace
// tokenizers on every row of every shared data file, with the shared SentencePiece models (as
// .model and as the tokenizer.json transformers writes for them) and the real multilingual-e5-small
// tokenizer.json when it is laid out (fixtures from tests/reference/make_sentencepiece_fixtures.py).

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/tokenizer/sentencepiece_tokenizer.h"
#include "core/tokenizer/tokenizer.h"
#include "io/tokenizer_files.h"
#include "tests/test_paths.h"

namespace simscore {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path fixture_dir() { return testing::fixtures_dir() / "sentencepiece"; }

std::string show(const std::vector<int32_t>& ids) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < ids.size(); ++i) out << (i ? "," : "") << ids[i];
  out << ']';
  return out.str();
}

TEST(SentencePieceReference, EveryRowOfEveryDataFileMatchesHuggingFace) {
  SIMSCORE_REQUIRE_SHARED("tokenizers/sentencepiece");
  SIMSCORE_REQUIRE_FIXTURE("sentencepiece/manifest.json");
  std::ifstream manifest_file(fixture_dir() / "manifest.json");
  const json manifest = json::parse(manifest_file);
  ASSERT_FALSE(manifest["fixtures"].empty());

  std::map<std::string, io::LoadedTokenizer> tokenizers;
  size_t total_rows = 0;
  for (const json& fixture : manifest["fixtures"]) {
    const std::string dir = fixture["dir"];
    const std::string path = fixture["path"];
    auto it = tokenizers.find(dir);
    if (it == tokenizers.end()) it = tokenizers.emplace(dir, io::load_tokenizer(fixture_dir() / dir)).first;
    const io::LoadedTokenizer& loaded = it->second;
    ASSERT_EQ(loaded.kind, "sentencepiece") << dir;

    std::ifstream in(fixture_dir() / path);
    ASSERT_TRUE(in) << path;
    size_t rows = 0, differ = 0, shown = 0;
    std::string line;
    while (std::getline(in, line)) {
      const json row = json::parse(line);
      const std::string a = row["a"], b = row["b"];
      std::vector<std::pair<std::string, std::pair<std::vector<int32_t>, std::vector<int32_t>>>> checks;
      for (const size_t n : {size_t{512}, size_t{32}}) {
        const std::string key = std::to_string(n);
        const Encoding pair = encode_pair(*loaded.tokenizer, a, b, n);
        const auto expected = row["p" + key].get<std::vector<int32_t>>();
        checks.push_back({"pair @" + key, {expected, pair.ids}});
        // XLM-R: every type id is 0, so the fixture's type-0 count is the whole length.
        std::vector<int32_t> types(expected.size(), 1);
        std::fill_n(types.begin(), std::min(row["t" + key].get<size_t>(), types.size()), 0);
        checks.push_back({"types @" + key, {types, pair.type_ids}});
      }
      checks.push_back({"single a", {row["a512"].get<std::vector<int32_t>>(),
                                     encode_single(*loaded.tokenizer, a, 512).ids}});
      checks.push_back({"single b", {row["b512"].get<std::vector<int32_t>>(),
                                     encode_single(*loaded.tokenizer, b, 512).ids}});
      for (const auto& [what, values] : checks) {
        if (values.first == values.second) continue;
        ++differ;
        if (shown++ < 5)
          ADD_FAILURE() << path << " row " << rows << " (" << what << ")\n  a: " << json(a).dump()
                        << "\n  b: " << json(b).dump() << "\n  huggingface: " << show(values.first)
                        << "\n  ours:        " << show(values.second);
        break;
      }
      ++rows;
    }
    EXPECT_EQ(rows, fixture["rows"].get<size_t>()) << path;
    EXPECT_EQ(differ, 0u) << path;
    std::printf("  %-28s %-14s %6zu rows compared, %zu differ\n",
                fixture["variant"].get<std::string>().c_str(),
                fixture["dataset"].get<std::string>().c_str(), rows, differ);
    total_rows += rows;
  }
  std::printf("  %zu rows compared in all\n", total_rows);
}

// The fairseq layout transformers gives a .model: <s> <pad> </s> <unk> first, <mask> after the
// shifted pieces, and the XLM-R pair template.
TEST(SentencePiece, ModelFileUsesTheFairseqIds) {
  SIMSCORE_REQUIRE_SHARED("tokenizers/sentencepiece/test_model.model");
  const fs::path dir = fs::temp_directory_path() / ("simscore_spm_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy_file(testing::shared_dir() / "tokenizers/sentencepiece/test_model.model",
                dir / "sentencepiece.bpe.model", fs::copy_options::overwrite_existing);
  const io::LoadedTokenizer loaded = io::load_tokenizer(dir);
  fs::remove_all(dir);
  const Tokenizer& tokenizer = *loaded.tokenizer;
  EXPECT_EQ(loaded.kind, "sentencepiece");
  EXPECT_EQ(tokenizer.vocab_size(), 1002u);  // 1000 pieces, <pad> added, <mask> at the end
  EXPECT_EQ(tokenizer.tokenize("<mask>"), std::vector<int32_t>{1001});
  EXPECT_EQ(tokenizer.tokenize("<s></s><pad><unk>"), (std::vector<int32_t>{0, 2, 1, 3}));
  // An unknown character is spm's id 0, the fairseq <unk> 3; consecutive ones are one token.
  const auto unknown = tokenizer.tokenize("\xF0\xA0\xAE\xB7\xF0\xA0\xAE\xB7");  // two U+20BB7
  ASSERT_EQ(unknown.size(), 2u);  // "▁" and one fused <unk>
  EXPECT_EQ(unknown[1], 3);
  const Encoding pair = encode_pair(tokenizer, "a", "b", 512);
  EXPECT_GE(pair.ids.size(), 6u);  // <s> ▁a </s> </s> ▁b </s>, "▁a" perhaps as "▁" "a"
  EXPECT_EQ(pair.ids.front(), 0);
  EXPECT_EQ(pair.ids.back(), 2);
  EXPECT_EQ(std::count(pair.ids.begin(), pair.ids.end(), 2), 3);
  EXPECT_EQ(pair.type_ids, std::vector<int32_t>(pair.ids.size(), 0));
}

// Viterbi over scores, HF's tie rule (the first best path found wins) and fused unknowns.
TEST(SentencePiece, HandBuiltUnigramSegmentsByScore) {
  SentencePieceConfig config;
  config.vocab = {{"<s>", 0},   {"<pad>", 0}, {"</s>", 0}, {"<unk>", 0}, {"\xE2\x96\x81", -2},
                  {"\xE2\x96\x81" "ab", -1}, {"a", -3},  {"b", -3},   {"c", -3},  {"0", -1},
                  {"00", -2}};
  const SentencePieceTokenizer tokenizer(config);
  EXPECT_EQ(tokenizer.tokenize("ab c"), (std::vector<int32_t>{5, 4, 8}));
  EXPECT_EQ(tokenizer.tokenize("abzz"), (std::vector<int32_t>{5, 3}));
  // "000" as 0+00 or 00+0 or 0+0+0 all score -3: HF keeps the path found first, 0 then 00.
  EXPECT_EQ(tokenizer.tokenize("000"), (std::vector<int32_t>{4, 9, 10}));
  EXPECT_EQ(tokenizer.vocab_size(), config.vocab.size());
}

TEST(SentencePiece, BpeModelsAndGarbageAreModelErrors) {
  const fs::path dir = fs::temp_directory_path() / ("simscore_spm_bad_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "sentencepiece.bpe.model") << "not a protobuf at all \xff\xff\xff";
  EXPECT_THROW(io::load_tokenizer(dir), ModelError);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace simscore
