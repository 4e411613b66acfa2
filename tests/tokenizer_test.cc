// What the HuggingFace fixtures cannot show clearly: `longest_first` arithmetic on synthetic
// lengths, the special-token templates, WordPiece rules on a tiny vocabulary (expected ids checked
// with tokenizers 0.23 built from the same vocabulary), and loader errors.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/wordpiece.h"
#include "io/tokenizer_files.h"
#include "tests/test_paths.h"

namespace simscore {
namespace {

namespace fs = std::filesystem;

using Lengths = std::pair<size_t, size_t>;

// The table of tokenizers' own unit test (utils/truncation.rs), budget 7, lengths 0/2/4/8.
TEST(LongestFirst, MatchesTheTableOfTokenizersOwnTest) {
  const size_t lengths[] = {0, 2, 4, 8};
  const Lengths expected[4][4] = {
      {{0, 0}, {0, 2}, {0, 4}, {0, 7}},
      {{2, 0}, {2, 2}, {2, 4}, {2, 5}},
      {{4, 0}, {4, 2}, {3, 4}, {3, 4}},
      {{7, 0}, {5, 2}, {4, 3}, {3, 4}},
  };
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      EXPECT_EQ(longest_first_lengths(lengths[i], lengths[j], 7), expected[i][j])
          << lengths[i] << " + " << lengths[j];
    }
  }
}

TEST(LongestFirst, SplitsTheBudgetInsteadOfRemovingOneTokenAtATime) {
  // One-at-a-time removal from the longer text would give (25, 25) here too, but (50, 20) at budget
  // 45 shows the difference: the shorter text keeps everything, the longer gets the rest.
  EXPECT_EQ(longest_first_lengths(50, 20, 45), Lengths(25, 20));
  EXPECT_EQ(longest_first_lengths(20, 50, 45), Lengths(20, 25));
  // Both longer than half: halves, the odd token to the longer text (to the second when equal).
  EXPECT_EQ(longest_first_lengths(30, 40, 29), Lengths(14, 15));
  EXPECT_EQ(longest_first_lengths(40, 30, 29), Lengths(15, 14));
  EXPECT_EQ(longest_first_lengths(30, 30, 29), Lengths(14, 15));
  EXPECT_EQ(longest_first_lengths(30, 30, 28), Lengths(14, 14));
  // The shorter text alone exceeds the budget.
  EXPECT_EQ(longest_first_lengths(100, 60, 50), Lengths(25, 25));
  // Nothing to do, and nothing left.
  EXPECT_EQ(longest_first_lengths(10, 10, 20), Lengths(10, 10));
  EXPECT_EQ(longest_first_lengths(10, 10, 0), Lengths(0, 0));
}

// Splits on spaces; each word's id is its length, so the truncated output is easy to read.
class WordLengthTokenizer : public Tokenizer {
 public:
  explicit WordLengthTokenizer(SpecialTokens special) : special_(special) {}
  std::vector<int32_t> tokenize(std::string_view text) const override {
    std::vector<int32_t> ids;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find(' ', start);
      if (end == std::string_view::npos) end = text.size();
      if (end > start) ids.push_back(static_cast<int32_t>(end - start));
      start = end + 1;
    }
    return ids;
  }
  const SpecialTokens& special_tokens() const override { return special_; }
  size_t vocab_size() const override { return 1000; }

 private:
  SpecialTokens special_;
};

TEST(SpecialTokenTemplate, BertPairAndSingle) {
  const WordLengthTokenizer tokenizer{SpecialTokens{}};
  Encoding pair = encode_pair(tokenizer, "a bb ccc", "dddd", 512);
  EXPECT_EQ(pair.ids, (std::vector<int32_t>{101, 1, 2, 3, 102, 4, 102}));
  EXPECT_EQ(pair.type_ids, (std::vector<int32_t>{0, 0, 0, 0, 0, 1, 1}));

  // Budget 8 - 3 = 5 for (3, 4) tokens: both over half, so (2, 3).
  pair = encode_pair(tokenizer, "a bb ccc", "dddd eeeee ffffff gggggggg", 8);
  EXPECT_EQ(pair.ids, (std::vector<int32_t>{101, 1, 2, 102, 4, 5, 6, 102}));

  const Encoding single = encode_single(tokenizer, "a bb ccc dddd", 4);
  EXPECT_EQ(single.ids, (std::vector<int32_t>{101, 1, 2, 102}));
  EXPECT_EQ(single.type_ids, (std::vector<int32_t>{0, 0, 0, 0}));

  const Encoding empty = encode_pair(tokenizer, "", "", 512);
  EXPECT_EQ(empty.ids, (std::vector<int32_t>{101, 102, 102}));
}

TEST(SpecialTokenTemplate, XlmRobertaPairHasTwoSeparatorsAndNoSecondType) {
  const WordLengthTokenizer tokenizer{SpecialTokens{0, 2, 1, 3, 2, 0}};
  const Encoding pair = encode_pair(tokenizer, "a bb", "ccc", 512);
  EXPECT_EQ(pair.ids, (std::vector<int32_t>{0, 1, 2, 2, 2, 3, 2}));
  EXPECT_EQ(pair.type_ids, (std::vector<int32_t>(7, 0)));
  // Four special tokens: max_length 6 leaves 2 for (2, 1) tokens, so (1, 1).
  EXPECT_EQ(encode_pair(tokenizer, "a bb", "ccc", 6).ids, (std::vector<int32_t>{0, 1, 2, 2, 3, 2}));
}

TEST(SpecialTokenTemplate, MaxLengthBelowTheSpecialTokensTruncatesNothingLikeHuggingFace) {
  // tokenizers computes max_length - 3 in unsigned arithmetic; it wraps and nothing is cut
  // (checked with tokenizers 0.23: max_length 2 keeps the whole pair, 3 keeps only specials).
  const WordLengthTokenizer tokenizer{SpecialTokens{}};
  EXPECT_EQ(encode_pair(tokenizer, "a bb", "ccc", 2).ids.size(), 6u);
  EXPECT_EQ(encode_pair(tokenizer, "a bb", "ccc", 3).ids, (std::vector<int32_t>{101, 102, 102}));
  EXPECT_EQ(encode_single(tokenizer, "a bb", 1).ids.size(), 4u);
  EXPECT_EQ(encode_single(tokenizer, "a bb", 2).ids, (std::vector<int32_t>{101, 102}));
}

WordPieceConfig tiny_config() {
  WordPieceConfig config;
  const char* tokens[] = {"[PAD]", "[UNK]", "[CLS]",   "[SEP]", "un",    "##aff", "##able", "una",
                          "##ffable", "!",  "hello", "##s",     "héllo", "a",     "##a"};
  int32_t id = 0;
  for (const char* token : tokens) config.vocab.emplace_back(token, id++);
  config.special_tokens = SpecialTokens{2, 3, 0, 1, 1, 1};
  config.added_tokens = {{"[SEP]", 3}, {"[CLS]", 2}};
  config.normalizer = BertNormalizerOptions{true, true, false, true};
  config.max_input_chars_per_word = 9;
  return config;
}

TEST(WordPiece, GreedyLongestMatchFirst) {
  const WordPieceTokenizer tokenizer(tiny_config());
  // "una" + "##ffable" wins over "un" + "##aff" + "##able": the longest first piece is taken.
  EXPECT_EQ(tokenizer.tokenize("unaffable"), (std::vector<int32_t>{7, 8}));
  EXPECT_EQ(tokenizer.tokenize("Hellos!"), (std::vector<int32_t>{10, 11, 9}));
  // A word with an unmatched part is one unknown token, not a partial match.
  EXPECT_EQ(tokenizer.tokenize("hellox hello"), (std::vector<int32_t>{1, 10}));
  // Longer than max_input_chars_per_word (9 characters here, counted in characters, not bytes).
  EXPECT_EQ(tokenizer.tokenize("aaaaaaaaa"),
            (std::vector<int32_t>{13, 14, 14, 14, 14, 14, 14, 14, 14}));
  EXPECT_EQ(tokenizer.tokenize("aaaaaaaaaa"), (std::vector<int32_t>{1}));
  EXPECT_EQ(tokenizer.tokenize("HÉLLO"), (std::vector<int32_t>{12}));
}

TEST(WordPiece, AddedTokensAreMatchedInTheRawText) {
  const WordPieceTokenizer tokenizer(tiny_config());
  EXPECT_EQ(tokenizer.tokenize("hello[SEP]hello"), (std::vector<int32_t>{10, 3, 10}));
  // Lowercasing would turn "[SEP]" into "[sep]": the match happens before normalization, and the
  // lowercase form is ordinary text.
  EXPECT_EQ(tokenizer.tokenize("[sep]"), (std::vector<int32_t>{1, 1, 1}));
  EXPECT_EQ(tokenizer.tokenize("[CLS][SEP]"), (std::vector<int32_t>{2, 3}));
}

TEST(WordPiece, MissingUnknownTokenIsAModelError) {
  WordPieceConfig config = tiny_config();
  config.unk_token = "<unk>";
  EXPECT_THROW(WordPieceTokenizer{config}, ModelError);
}

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("simscore_toktest_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }
  void write(const std::string& name, const std::string& content) const {
    std::ofstream(path_ / name, std::ios::binary) << content;
  }

 private:
  fs::path path_;
};

std::string load_error(const fs::path& dir) {
  try {
    io::load_tokenizer(dir);
  } catch (const ModelError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TokenizerFiles, MissingFilesListWhatWasLookedFor) {
  const TempDir dir;
  const std::string message = load_error(dir.path());
  EXPECT_NE(message.find("tokenizer.json"), std::string::npos) << message;
  EXPECT_NE(message.find("vocab.txt"), std::string::npos) << message;
  EXPECT_NE(message.find(dir.path().string()), std::string::npos) << message;

  dir.write("sentencepiece.bpe.model", "x");
  EXPECT_NE(load_error(dir.path()).find("SentencePiece"), std::string::npos);
  EXPECT_NE(load_error(dir.path() / "does-not-exist").find("tokenizer.json"), std::string::npos);
}

TEST(TokenizerFiles, UnsupportedModelTypesNameTheTypeAndTheFile) {
  for (const std::string type : {"Unigram", "BPE", "WordLevel"}) {
    const TempDir dir;
    dir.write("tokenizer.json", R"({"model": {"type": ")" + type + R"(", "vocab": []}})");
    const std::string message = load_error(dir.path());
    EXPECT_NE(message.find(type), std::string::npos) << message;
    EXPECT_NE(message.find((dir.path() / "tokenizer.json").string()), std::string::npos) << message;
  }
}

TEST(TokenizerFiles, MalformedFilesAreModelErrors) {
  const TempDir dir;
  dir.write("tokenizer.json", "{ not json");
  EXPECT_NE(load_error(dir.path()).find("not valid JSON"), std::string::npos);

  const std::string wordpiece = R"({"model": {"type": "WordPiece", "unk_token": "[UNK]",
      "vocab": {"[CLS]": 0, "[SEP]": 1, "[PAD]": 2, "x": 3}},
      "normalizer": {"type": "BertNormalizer"}, "pre_tokenizer": {"type": "BertPreTokenizer"}})";
  dir.write("tokenizer.json", wordpiece);
  EXPECT_NE(load_error(dir.path()).find("[UNK]"), std::string::npos);

  std::string other_normalizer = wordpiece;
  other_normalizer.replace(other_normalizer.find("BertNormalizer"), 14, "NFKC");
  dir.write("tokenizer.json", other_normalizer);
  EXPECT_NE(load_error(dir.path()).find("NFKC"), std::string::npos);
}

TEST(TokenizerFiles, VocabTxtWithConfigAndModelMaxLength) {
  const TempDir dir;
  dir.write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nhé\n##llo\n");
  // transformers writes int(1e30) when the length is unset.
  dir.write("tokenizer_config.json",
            R"({"do_lower_case": false, "model_max_length": 1000000000000000019884624838656})");
  io::LoadedTokenizer loaded = io::load_tokenizer(dir.path());
  EXPECT_FALSE(loaded.model_max_length.has_value());
  EXPECT_EQ(loaded.kind, "wordpiece");
  EXPECT_EQ(loaded.source, dir.path() / "vocab.txt");
  EXPECT_EQ(loaded.tokenizer->special_tokens().cls_id, 2);
  EXPECT_EQ(loaded.tokenizer->special_tokens().sep_id, 3);
  EXPECT_EQ(loaded.tokenizer->special_tokens().unk_id, 1);
  // Not lowercased, so the accent stays (strip_accents follows lowercase) and "Hello" is unknown.
  EXPECT_EQ(loaded.tokenizer->tokenize("héllo Hello [MASK]"), (std::vector<int32_t>{6, 7, 1, 4}));

  dir.write("tokenizer_config.json", R"({"model_max_length": 256})");
  loaded = io::load_tokenizer(dir.path());
  EXPECT_EQ(loaded.model_max_length, std::optional<size_t>(256));
  // Lowercase by default, and accents stripped with it.
  EXPECT_EQ(loaded.tokenizer->tokenize("HÉLLO"), (std::vector<int32_t>{5}));
}

TEST(TokenizerFiles, SharedTokenizersLoad) {
  SIMSCORE_REQUIRE_SHARED("tokenizers/all-MiniLM-L6-v2");
  const fs::path tokenizers = testing::shared_dir() / "tokenizers";
  const io::LoadedTokenizer minilm = io::load_tokenizer(tokenizers / "all-MiniLM-L6-v2");
  EXPECT_EQ(minilm.model_max_length, std::optional<size_t>(512));
  EXPECT_EQ(minilm.source.filename(), "tokenizer.json");
  EXPECT_EQ(minilm.tokenizer->vocab_size(), 30522u);
  const SpecialTokens& special = minilm.tokenizer->special_tokens();
  EXPECT_EQ(special.cls_id, 101);
  EXPECT_EQ(special.sep_id, 102);
  EXPECT_EQ(special.pad_id, 0);
  EXPECT_EQ(special.unk_id, 100);

  const io::LoadedTokenizer bge = io::load_tokenizer(tokenizers / "bge-small-zh-v1.5");
  EXPECT_FALSE(bge.model_max_length.has_value());
  EXPECT_EQ(bge.tokenizer->vocab_size(), 21128u);
}

// transformers (5.23, and 4.x BertTokenizerFast) rebuilds the normalizer from tokenizer_config.json
// when it names the BertTokenizer class; sentence-transformers loads through it. The ids below are
// what transformers' AutoTokenizer gave for "Hello 你好" on these two directories.
TEST(TokenizerFiles, BertTokenizerConfigFlagsWinOverTokenizerJson) {
  SIMSCORE_REQUIRE_SHARED("tokenizers/bge-small-zh-v1.5");
  const TempDir dir;
  fs::copy_file(testing::shared_dir() / "tokenizers/bge-small-zh-v1.5/tokenizer.json",
                dir.path() / "tokenizer.json");
  // bge's tokenizer.json says lowercase=false: "Hello" is unknown.
  EXPECT_EQ(io::load_tokenizer(dir.path()).tokenizer->tokenize("Hello 你好"),
            (std::vector<int32_t>{100, 872, 1962}));
  dir.write("tokenizer_config.json", R"({"do_lower_case": true})");
  EXPECT_EQ(io::load_tokenizer(dir.path()).tokenizer->tokenize("Hello 你好"),
            (std::vector<int32_t>{100, 872, 1962}));
  // Naming the class brings BertTokenizer's defaults, lowercasing included.
  dir.write("tokenizer_config.json", R"({"tokenizer_class": "BertTokenizer"})");
  EXPECT_EQ(io::load_tokenizer(dir.path()).tokenizer->tokenize("Hello 你好"),
            (std::vector<int32_t>{8701, 872, 1962}));
}

// Inputs tests/fuzz/tokenizer_files_fuzz.cc crashed on (minimized): each escaped load_tokenizer as
// std::invalid_argument, nlohmann::json::type_error or an out-of-bounds read instead of a ModelError.
TEST(TokenizerFiles, FuzzFoundMalformedValuesAreModelErrors) {
  const std::string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n";
  const std::string wordpiece_model =
      R"("model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "[PAD]": 3}})";
  const std::string unigram_model =
      R"("model": {"type": "Unigram", "vocab": [["<unk>", 0]], "unk_id": 0})";
  struct Case {
    const char* what;
    std::string vocab_txt, tokenizer_config, tokenizer_json;
    const char* message;  // a part the ModelError must contain
  };
  const Case cases[] = {
      {"added_tokens_decoder key that is not a number (std::stol threw)", vocab,
       R"({"added_tokens_decoder": {"x": {"content": "[PAD]"}}})", "", "\"x\" is not a token id"},
      {"added_tokens_decoder key past int32", vocab,
       R"({"added_tokens_decoder": {"99999999999": {"content": "[PAD]"}}})", "", "is not a token id"},
      {"special token whose content is a number (json type_error)", vocab,
       R"({"unk_token": {"content": 5}})", "", "unexpected kind"},
      {"normalizer type that is a number (json type_error)", "", "",
       "{" + wordpiece_model + R"(, "normalizer": {"type": 5}, "pre_tokenizer": {"type": "BertPreTokenizer"}})",
       "unexpected kind"},
      {"normalizer that is not an object (json type_error)", "", "",
       "{" + wordpiece_model + R"(, "normalizer": [1], "pre_tokenizer": {"type": "BertPreTokenizer"}})",
       "unexpected kind"},
      {"added token id 1e300 (float to int conversion: undefined behaviour)", "", "",
       "{" + wordpiece_model + R"(, "pre_tokenizer": {"type": "BertPreTokenizer"},
           "added_tokens": [{"id": 1e300, "content": "[X]"}]})",
       "\"id\" is 1e+300"},
      {"vocab id past int32 (silently wrapped)", "", "",
       R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 4294967296}}})", "has no valid id"},
      {"Unigram Sequence normalizer without its list (read out of bounds)", "", "",
       "{" + unigram_model + R"(, "normalizer": {"type": "Sequence"}})", "Metaspace"},
      {"Unigram Sequence pre-tokenizer without its list (read out of bounds)", "", "",
       "{" + unigram_model + R"(, "pre_tokenizer": {"type": "Sequence"}})", "Metaspace"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const TempDir dir;
    if (!c.vocab_txt.empty()) dir.write("vocab.txt", c.vocab_txt);
    if (!c.tokenizer_config.empty()) dir.write("tokenizer_config.json", c.tokenizer_config);
    if (!c.tokenizer_json.empty()) dir.write("tokenizer.json", c.tokenizer_json);
    const std::string message = load_error(dir.path());
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
    EXPECT_NE(message.find(dir.path().string()), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace simscore
