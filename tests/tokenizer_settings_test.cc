// Which normalizer settings a WordPiece model directory gets, for every combination of config.json,
// tokenizer.json and tokenizer_config.json, against transformers 5's AutoTokenizer on the same
// directory (fixtures written by tests/reference/make_tokenizer_settings_fixtures.py).

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/tokenizer/tokenizer.h"
#include "io/tokenizer_files.h"
#include "tests/test_paths.h"

namespace simscore {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json read_json(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

TEST(TokenizerSettings, EveryFileCombinationEncodesAsAutoTokenizer) {
  SIMSCORE_REQUIRE_FIXTURE("tokenizer_settings/manifest.json");
  const fs::path root = testing::fixtures_dir() / "tokenizer_settings";
  size_t compared = 0, refused = 0;
  bool lowercased_against_tokenizer_json = false;
  for (const json& entry : read_json(root / "manifest.json")) {
    const std::string name = entry["name"].get<std::string>();
    if (entry.contains("error")) {  // transformers refuses it; simscore may still load it
      ++refused;
      continue;
    }
    SCOPED_TRACE(name + " (transformers: " + entry["class"].get<std::string>() + ")");
    const io::LoadedTokenizer loaded = io::load_tokenizer(root / name);
    const json expected = read_json(root / name / "expected.json");
    for (size_t i = 0; i < expected["pairs"].size(); ++i) {
      const auto& pair = expected["pairs"][i];
      const Encoding encoding = encode_pair(*loaded.tokenizer, pair[0].get<std::string>(),
                                            pair[1].get<std::string>(), 512);
      EXPECT_EQ(encoding.ids, expected["ids"][i].get<std::vector<int32_t>>()) << "pair " << i;
    }
    ++compared;
    // The case (bge-small-zh-v1.5 ships such a tokenizer.json): a BERT config.json and a
    // tokenizer.json that says lowercase=false, no tokenizer_config.json. The fixtures must show
    // transformers lowercasing there, unlike tokenizer.json alone.
    if (name.find("__bertconfig__notokcfg__casedtokjson") != std::string::npos) {
      const std::string tokenizer = entry["tokenizer"].get<std::string>();
      const json alone = read_json(root / (tokenizer + "__noconfig__notokcfg__casedtokjson") / "expected.json");
      const json bert = read_json(root / (tokenizer + "__noconfig__bertclass__notokjson") / "expected.json");
      lowercased_against_tokenizer_json = expected["ids"] == bert["ids"] && expected["ids"] != alone["ids"];
      EXPECT_TRUE(lowercased_against_tokenizer_json) << tokenizer;
    }
  }
  EXPECT_GE(compared, 60u) << "the manifest lists fewer combinations than the script writes";
  EXPECT_TRUE(lowercased_against_tokenizer_json);
  RecordProperty("refused_by_transformers", static_cast<int>(refused));
}

}  // namespace
}  // namespace simscore
