// Our WordPiece tokenizer against HuggingFace tokenizers on every row of every shared data file,
// with both shared tokenizers, and on every Unicode code point (fixtures written by
// tests/reference/make_tokenizer_fixtures.py).

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/tokenizer/bert_normalizer.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/wordpiece.h"
#include "io/tokenizer_files.h"
#include "tests/test_paths.h"

namespace simscore {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path fixture_dir() { return testing::fixtures_dir() / "tokenizer"; }

json read_json(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

std::string show(const std::vector<int32_t>& ids) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < ids.size(); ++i) out << (i ? "," : "") << ids[i];
  out << ']';
  return out.str();
}

std::vector<int32_t> expected_types(size_t size, size_t zeros) {
  std::vector<int32_t> types(size, 1);
  std::fill(types.begin(), types.begin() + static_cast<std::ptrdiff_t>(std::min(zeros, size)), 0);
  return types;
}

// A model directory holding only `files` of a shared tokenizer, so the loader takes the path we
// mean.
class TokenizerDirs {
 public:
  TokenizerDirs()
      : root_(fs::temp_directory_path() / ("simscore_tokref_" + std::to_string(getpid()))) {}
  ~TokenizerDirs() {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  const io::LoadedTokenizer& get(const std::string& tokenizer,
                                 const std::vector<std::string>& files) {
    std::string key = tokenizer;
    for (const std::string& file : files) key += "+" + file;
    auto it = loaded_.find(key);
    if (it != loaded_.end()) return it->second;
    const fs::path dir = root_ / std::to_string(loaded_.size());
    fs::create_directories(dir);
    for (const std::string& file : files) {
      fs::copy_file(testing::shared_dir() / "tokenizers" / tokenizer / file, dir / file);
    }
    return loaded_.emplace(key, io::load_tokenizer(dir)).first->second;
  }

 private:
  fs::path root_;
  std::map<std::string, io::LoadedTokenizer> loaded_;
};

struct Mismatch {
  size_t row;
  std::string what, a, b;
  std::vector<int32_t> expected, actual;
};

TEST(TokenizerReference, EveryRowOfEveryDataFileMatchesHuggingFace) {
  SIMSCORE_REQUIRE_SHARED("tokenizers");
  SIMSCORE_REQUIRE_FIXTURE("tokenizer/manifest.json");
  const json manifest = read_json(fixture_dir() / "manifest.json");
  ASSERT_FALSE(manifest["fixtures"].empty());

  TokenizerDirs dirs;
  std::map<std::string, int> hostile_sets;
  size_t total_rows = 0;
  for (const json& fixture : manifest["fixtures"]) {
    const std::string tokenizer_name = fixture["tokenizer"];
    const std::string dataset = fixture["dataset"];
    const std::string path = fixture["path"];
    const auto files = fixture["files"].get<std::vector<std::string>>();
    const io::LoadedTokenizer& loaded = dirs.get(tokenizer_name, files);
    if (dataset == "hostile") ++hostile_sets[tokenizer_name];

    std::ifstream in(fixture_dir() / path);
    ASSERT_TRUE(in) << path;
    std::vector<Mismatch> mismatches;
    size_t mismatch_count = 0;
    size_t rows = 0;
    std::string line;
    while (std::getline(in, line)) {
      const json row = json::parse(line);
      const std::string a = row["a"], b = row["b"];
      bool row_ok = true;
      const auto check = [&](const char* what, const std::vector<int32_t>& expected,
                             const std::vector<int32_t>& actual) {
        if (!row_ok || expected == actual) return;
        row_ok = false;
        if (mismatches.size() < 5) mismatches.push_back({rows, what, a, b, expected, actual});
      };
      for (const size_t max_length : {size_t{512}, size_t{32}}) {
        const std::string n = std::to_string(max_length);
        const auto expected = row["p" + n].get<std::vector<int32_t>>();
        const Encoding pair = encode_pair(*loaded.tokenizer, a, b, max_length);
        check(max_length == 512 ? "pair ids @512" : "pair ids @32", expected, pair.ids);
        check(max_length == 512 ? "pair type ids @512" : "pair type ids @32",
              expected_types(expected.size(), row["t" + n].get<size_t>()), pair.type_ids);
      }
      check("single a @512", row["a512"].get<std::vector<int32_t>>(),
            encode_single(*loaded.tokenizer, a, 512).ids);
      check("single b @512", row["b512"].get<std::vector<int32_t>>(),
            encode_single(*loaded.tokenizer, b, 512).ids);
      if (!row_ok) ++mismatch_count;
      ++rows;
    }
    total_rows += rows;
    EXPECT_EQ(rows, fixture["rows"].get<size_t>()) << path << " is shorter than the manifest says";
    std::string variant = tokenizer_name + " (" + loaded.source.filename().string() + ")";
    std::printf("  %-44s %-14s %6zu rows compared, %zu differ\n", variant.c_str(),
                dataset.c_str(), rows, mismatch_count);
    EXPECT_EQ(mismatch_count, 0u) << path;
    for (const Mismatch& m : mismatches) {
      ADD_FAILURE() << path << " row " << m.row << " (" << m.what << ")\n  a: " << json(m.a).dump()
                    << "\n  b: " << json(m.b).dump() << "\n  huggingface: " << show(m.expected)
                    << "\n  ours:        " << show(m.actual);
    }
  }
  std::printf("  %zu rows compared in all\n", total_rows);
  EXPECT_GE(hostile_sets.size(), 2u) << "the hostile set should run through both shared tokenizers";
}

// Every code point through four BertNormalizer settings and the pre-tokenizer, against tokenizers:
// this is what pins down the Unicode version of each of its tables.
TEST(TokenizerReference, EveryCodePointNormalizesAndSplitsLikeHuggingFace) {
  SIMSCORE_REQUIRE_FIXTURE("tokenizer/codepoints.tsv");
  const BertNormalizer settings[] = {
      // clean_text, handle_chinese_chars, strip_accents, lowercase, as the fixture script has them
      BertNormalizer({true, true, false, false}),
      BertNormalizer({true, true, true, true}),
      BertNormalizer({false, false, true, false}),
      BertNormalizer({false, false, false, true}),
  };
  std::map<char32_t, std::vector<std::string>> expected_rows;
  {
    std::ifstream in(fixture_dir() / "codepoints.tsv");
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> fields;
      std::istringstream split(line);
      std::string field;
      while (std::getline(split, field, '\t')) fields.push_back(field);
      ASSERT_EQ(fields.size(), 6u) << line;
      expected_rows[static_cast<char32_t>(std::stoul(fields[0], nullptr, 16))] = fields;
    }
  }
  ASSERT_GT(expected_rows.size(), 100000u);

  const auto hex = [](std::string_view text) {
    std::string out;
    char buffer[16];
    for (size_t pos = 0; pos < text.size();) {
      std::snprintf(buffer, sizeof buffer, out.empty() ? "%X" : " %X",
                    static_cast<unsigned>(bert_chars::decode_utf8(text, pos)));
      out += buffer;
    }
    return out;
  };
  size_t mismatches = 0;
  std::string normalized;
  for (char32_t c = 0; c < 0x110000; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    std::string text;
    bert_chars::append_utf8(c, text);
    const auto found = expected_rows.find(c);
    for (size_t s = 0; s < 4; ++s) {
      settings[s].normalize(text, normalized);
      const std::string actual = hex(normalized);
      const std::string expected = found == expected_rows.end() ? hex(text) : found->second[1 + s];
      if (actual != expected && ++mismatches <= 20) {
        ADD_FAILURE() << "U+" << hex(text) << " setting " << s << ": huggingface [" << expected
                      << "], ours [" << actual << "]";
      }
    }
    const auto words = bert_pre_tokenize("a" + text + "a");
    const char actual_kind = words.size() == 3 ? 'P' : words.size() == 2 ? 'W' : 'N';
    const char expected_kind = found == expected_rows.end() ? 'N' : found->second[5][0];
    if (actual_kind != expected_kind && ++mismatches <= 20) {
      ADD_FAILURE() << "U+" << hex(text) << " pre-tokenizer: huggingface " << expected_kind
                    << ", ours " << actual_kind;
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

}  // namespace
}  // namespace simscore
