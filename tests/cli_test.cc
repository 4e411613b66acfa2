// The simscore command line as a user meets it: output contract, stdin, exit codes and messages for
// bad input and bad models, and the all-or-nothing output file.

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/wait.h>

#include "test_paths.h"

namespace simscore {
namespace {

namespace fs = std::filesystem;
using testing::fixtures_dir;

struct Result {
  int exit_code = -1;
  std::string out, err;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) lines.push_back(line);
  return lines;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("simscore_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
    return dir_ / name;
  }

  // Runs simscore with `args` (shell words), stdin from `input` when given.
  Result run(const std::string& args, const std::string& input = "") {
    std::string command = testing::simscore_binary().string() + " " + args;
    if (!input.empty()) command += " < " + write("stdin.txt", input).string();
    command += " > " + (dir_ / "out.txt").string() + " 2> " + (dir_ / "err.txt").string();
    const int status = std::system(command.c_str());
    Result r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_file(dir_ / "out.txt");
    r.err = read_file(dir_ / "err.txt");
    return r;
  }

  std::string model(const std::string& name) { return (fixtures_dir() / "models" / name).string(); }

  fs::path dir_;
};

TEST_F(Cli, ScoresEveryRowInOrderAsTransformersDoes) {
  SIMSCORE_REQUIRE_FIXTURE("expected/tiny-zh-cross.json");
  const auto expected = nlohmann::json::parse(read_file(fixtures_dir() / "expected/tiny-zh-cross.json"));
  const Result r = run("score " + (fixtures_dir() / "pairs/tiny-zh-cross.tsv").string() + " --model " +
                       model("tiny-zh-cross") + " --precision fp32 --max-batch-tokens 200");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), expected["scores"].size());
  for (size_t i = 0; i < lines.size(); ++i)
    EXPECT_NEAR(std::stod(lines[i]), expected["scores"][i].get<double>(), 1e-5) << "row " << i + 1;
}

TEST_F(Cli, ReadsStdinAtFp16) {
  SIMSCORE_REQUIRE_FIXTURE("expected/tiny-en-bi-cls.json");
  const auto expected = nlohmann::json::parse(read_file(fixtures_dir() / "expected/tiny-en-bi-cls.json"));
  // The default is --precision auto (tests/e2e/test_precision_auto.py); fp16 storage is held to 2e-3.
  const Result r = run("score - --model " + model("tiny-en-bi-cls") + " --precision fp16 --verbose",
                       read_file(fixtures_dir() / "pairs/tiny-en-bi-cls.tsv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("precision    fp16: given (--precision fp16)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("max length   40"), std::string::npos) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), expected["scores"].size());
  for (size_t i = 0; i < lines.size(); ++i)
    EXPECT_NEAR(std::stod(lines[i]), expected["scores"][i].get<double>(), 2e-3) << "row " << i + 1;
}

TEST_F(Cli, TokenizePrintsTheHuggingFacePairEncoding) {
  SIMSCORE_REQUIRE_FIXTURE("expected/tiny-zh-cross.json");
  const auto expected = nlohmann::json::parse(read_file(fixtures_dir() / "expected/tiny-zh-cross.json"));
  const Result r = run("tokenize " + (fixtures_dir() / "pairs/tiny-zh-cross.tsv").string() +
                       " --model " + model("tiny-zh-cross"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), expected["pairs"].size());
  for (size_t i = 0; i < expected["hidden"].size(); ++i) {
    std::string ids, types;
    for (const auto& id : expected["hidden"][i]["ids"]) ids += (ids.empty() ? "" : " ") + std::to_string(id.get<int>());
    for (const auto& t : expected["hidden"][i]["type_ids"]) types += (types.empty() ? "" : " ") + std::to_string(t.get<int>());
    EXPECT_EQ(lines[i], ids + "\t" + types) << "row " << i + 1;
  }
}

TEST_F(Cli, RowWithOneColumnNamesFileAndLine) {
  SIMSCORE_REQUIRE_FIXTURE("models/tiny-en-plain/config.json");
  const auto input = write("bad.tsv", "a\tb\nonly one column\nc\td\n");
  const Result r = run("score " + input.string() + " --model " + model("tiny-en-plain"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find(input.string() + ":2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("column"), std::string::npos) << r.err;
}

TEST_F(Cli, InvalidUtf8NamesFileAndLine) {
  SIMSCORE_REQUIRE_FIXTURE("models/tiny-en-plain/config.json");
  const auto input = write("bad.tsv", "a\tb\nc\td\ne\xff\xfe\tf\n");
  const Result r = run("score " + input.string() + " --model " + model("tiny-en-plain"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find(":3:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("UTF-8"), std::string::npos) << r.err;
}

TEST_F(Cli, SkipKeepsOneLinePerRow) {
  SIMSCORE_REQUIRE_FIXTURE("models/tiny-en-plain/config.json");
  const auto input = write("bad.tsv", "a\tb\nonly one\nc\td\n\te\n");
  const Result r = run("score " + input.string() + " --on-error skip --model " + model("tiny-en-plain"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_FALSE(lines[0].empty());
  EXPECT_TRUE(lines[1].empty());
  EXPECT_FALSE(lines[2].empty());
  EXPECT_TRUE(lines[3].empty());
  EXPECT_NE(r.err.find(":2: skipped"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(":4: skipped: the first text is empty"), std::string::npos) << r.err;
}

TEST_F(Cli, FailedRunLeavesNoOutputFile) {
  SIMSCORE_REQUIRE_FIXTURE("models/tiny-en-plain/config.json");
  const auto input = write("bad.tsv", "a\tb\nonly one\n");
  const auto output = dir_ / "scores.txt";
  const Result r = run("score " + input.string() + " -o " + output.string() + " --model " + model("tiny-en-plain"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(fs::exists(output));
  EXPECT_FALSE(fs::exists(output.string() + ".partial"));

  const auto good = write("good.tsv", "a\tb\nc\td\n");
  const Result ok = run("score " + good.string() + " -o " + output.string() + " --model " + model("tiny-en-plain"));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(lines_of(read_file(output)).size(), 2u);
  EXPECT_FALSE(fs::exists(output.string() + ".partial"));
}

TEST_F(Cli, MissingModelIsAModelError) {
  const Result r = run("score - --model " + (dir_ / "no-such-model").string(), "a\tb\n");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("no-such-model"), std::string::npos) << r.err;
}

TEST_F(Cli, TruncatedWeightsAreAModelError) {
  SIMSCORE_REQUIRE_FIXTURE("models/tiny-en-plain/model.safetensors");
  const fs::path copy = dir_ / "model";
  fs::copy(fixtures_dir() / "models/tiny-en-plain", copy, fs::copy_options::recursive);
  fs::resize_file(copy / "model.safetensors", fs::file_size(copy / "model.safetensors") / 2);
  const Result r = run("score - --model " + copy.string(), "a\tb\n");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find((copy / "model.safetensors").string()), std::string::npos) << r.err;
}

TEST_F(Cli, LayerCountDisagreeingWithTheWeightsNamesBoth) {
  SIMSCORE_REQUIRE_FIXTURE("models/tiny-en-plain/config.json");
  const fs::path copy = dir_ / "model";
  fs::copy(fixtures_dir() / "models/tiny-en-plain", copy, fs::copy_options::recursive);
  // A config that promises one layer more, then one fewer, than the weights hold (2): one fewer
  // loaded silently and ran a truncated encoder.
  for (const int layers : {3, 1}) {
    auto config = nlohmann::json::parse(read_file(fixtures_dir() / "models/tiny-en-plain/config.json"));
    config["num_hidden_layers"] = layers;
    std::ofstream(copy / "config.json") << config.dump();
    const Result r = run("score - --model " + copy.string(), "a\tb\n");
    EXPECT_EQ(r.exit_code, 4);
    EXPECT_NE(r.err.find("num_hidden_layers is " + std::to_string(layers) + ", but"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("holds 2 layers"), std::string::npos) << r.err;
  }
}

TEST_F(Cli, MissingTensorListsWhatWasExpected) {
  SIMSCORE_REQUIRE_FIXTURE("models/tiny-en-plain/model.safetensors");
  const fs::path copy = dir_ / "model";
  fs::copy(fixtures_dir() / "models/tiny-en-plain", copy, fs::copy_options::recursive);
  // The file without one of layer 1's tensors (its header rewritten, the data left in place).
  const std::string bytes = read_file(copy / "model.safetensors");
  uint64_t length = 0;
  std::memcpy(&length, bytes.data(), 8);
  auto header = nlohmann::json::parse(bytes.substr(8, length));
  ASSERT_EQ(header.erase("encoder.layer.1.output.dense.bias"), 1u);
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  const uint64_t new_length = text.size();
  std::ofstream out(copy / "model.safetensors", std::ios::binary);
  out.write(reinterpret_cast<const char*>(&new_length), 8);
  out << text << bytes.substr(8 + length);
  out.close();
  const Result r = run("score - --model " + copy.string(), "a\tb\n");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("missing tensor encoder.layer.1.output.dense.bias"), std::string::npos) << r.err;
}

TEST_F(Cli, UnknownFlagIsAUsageError) {
  const Result r = run("score --no-such-flag");
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(Cli, MalformedShardIsAUsageErrorThatSaysWhy) {
  const std::pair<const char*, const char*> cases[] = {
      {"4/4", "K must be less than N"}, {"0/0", "at least 1"}, {"1", "expected K/N"},
      {"-1/3", "expected K/N"},         {"1/3/5", "expected K/N"}, {"a/b", "expected K/N"},
      {"' 1/3'", "expected K/N"},       {"1/", "expected K/N"},
  };
  for (const auto& [spec, message] : cases) {
    const Result r = run(std::string("score - --shard ") + spec, "a\tb\n");
    EXPECT_EQ(r.exit_code, 2) << spec;
    EXPECT_NE(r.err.find("--shard"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
}

// Rows are counted after the header; a shard reads past the other shards' rows without checking
// them, so their problems neither stop the run nor count as failures.
TEST_F(Cli, ShardKeepsEveryNthDataRowAndNothingElse) {
  SIMSCORE_REQUIRE_FIXTURE("models/tiny-en-plain/config.json");
  const auto input = write("pairs.tsv",
                           "first\tsecond\n"  // header
                           "a0\tb0\n"
                           "only one column\n"  // row 1
                           "a2\tb2\n"
                           "a3\tb3\n"
                           "\tempty first text\n"  // row 4
                           "a5\tb5\n"
                           "a6\tb6\n");
  const std::string common = "score " + input.string() + " --header --with-input --model " + model("tiny-en-plain");
  const Result zero = run(common + " --shard 0/3 --report " + (dir_ / "zero.json").string());
  ASSERT_EQ(zero.exit_code, 0) << zero.err;
  auto lines = lines_of(zero.out);
  ASSERT_EQ(lines.size(), 4u) << zero.out;
  EXPECT_EQ(lines[0], "first\tsecond\tscore");
  EXPECT_EQ(lines[1].rfind("a0\tb0\t", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("a3\tb3\t", 0), 0u) << lines[2];
  EXPECT_EQ(lines[3].rfind("a6\tb6\t", 0), 0u) << lines[3];
  auto report = nlohmann::json::parse(read_file(dir_ / "zero.json"));
  EXPECT_EQ(report["rows"], 3);
  EXPECT_EQ(report["rows_failed"], 0);

  const Result one = run(common + " --shard 1/3");
  EXPECT_EQ(one.exit_code, 3);
  EXPECT_NE(one.err.find(input.string() + ":3:"), std::string::npos) << one.err;

  const Result skipped = run(common + " --shard 1/3 --on-error skip --report " + (dir_ / "one.json").string());
  ASSERT_EQ(skipped.exit_code, 0) << skipped.err;
  lines = lines_of(skipped.out);
  ASSERT_EQ(lines.size(), 3u) << skipped.out;
  EXPECT_EQ(lines[1], "only one column\t");
  EXPECT_EQ(lines[2], "\tempty first text\t");
  report = nlohmann::json::parse(read_file(dir_ / "one.json"));
  EXPECT_EQ(report["rows"], 2);
  EXPECT_EQ(report["rows_failed"], 2);

  const Result two = run(common + " --shard 2/3");
  ASSERT_EQ(two.exit_code, 0) << two.err;
  lines = lines_of(two.out);
  ASSERT_EQ(lines.size(), 3u) << two.out;
  EXPECT_EQ(lines[1].rfind("a2\tb2\t", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("a5\tb5\t", 0), 0u) << lines[2];
}

TEST_F(Cli, TokenizeTakesTheSameShard) {
  SIMSCORE_REQUIRE_FIXTURE("models/tiny-en-plain/config.json");
  const auto input = write("pairs.tsv", "a b\tc\nd\te f\ng\th\ni j k\tl\nm\tn\n");
  const std::string common = "tokenize " + input.string() + " --model " + model("tiny-en-plain");
  const Result all = run(common);
  ASSERT_EQ(all.exit_code, 0) << all.err;
  const Result odd = run(common + " --shard 1/2");
  ASSERT_EQ(odd.exit_code, 0) << odd.err;
  const auto every = lines_of(all.out);
  ASSERT_EQ(every.size(), 5u);
  EXPECT_EQ(lines_of(odd.out), (std::vector<std::string>{every[1], every[3]}));
}

// One output line per row, whatever the fields hold: CSV and JSON lines can carry tabs and newlines
// inside a text or an id, and an echo of them must not split the row.
TEST_F(Cli, EchoedFieldsNeverSplitTheRowsLine) {
  SIMSCORE_REQUIRE_FIXTURE("models/tiny-en-plain/config.json");
  const auto csv = write("pairs.csv", "\"one\nline two\",other\n\"x\ty\",z\r\nplain,row\n");
  const Result r = run("score " + csv.string() + " --with-input --model " + model("tiny-en-plain"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0].rfind("one\\nline two\tother\t", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind("x\\ty\tz\t", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("plain\trow\t", 0), 0u) << lines[2];

  const auto jsonl = write("pairs.jsonl", "{\"a\": \"p\", \"b\": \"q\", \"id\": \"k\\t1\\r\\n\"}\n");
  const Result ids = run("score " + jsonl.string() + " --text-a a --text-b b --id id --model " + model("tiny-en-plain"));
  ASSERT_EQ(ids.exit_code, 0) << ids.err;
  lines = lines_of(ids.out);
  ASSERT_EQ(lines.size(), 1u) << ids.out;
  EXPECT_EQ(lines[0].rfind("k\\t1\\r\\n\t", 0), 0u) << lines[0];
}

}  // namespace
}  // namespace simscore
