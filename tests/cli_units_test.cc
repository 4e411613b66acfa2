// Units of the command line without the process around them: run_pairs (the window loop `score` and
// `eval` share) and the per-row output formatting (score_output.h). run_pairs takes a real
// PairScorer, so it runs the tiny reference model tests/reference writes (tiny-en-bi-cls, hidden 32:
// a window scores in milliseconds). Scores are compared between two runs of that same model, never
// against restated numbers: what is checked is which rows reach the sink, in which windows and order.

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/pair_run.h"
#include "cli/score_output.h"
#include "core/encoder/bert_encoder.h"
#include "core/errors.h"
#include "core/ops/gemm.h"
#include "core/scoring/pair_scorer.h"
#include "io/pair_reader.h"
#include "reference_fixtures.h"
#include "test_paths.h"

namespace simscore {
namespace {

namespace fs = std::filesystem;
using cli::PairRunCounts;
using cli::PairRunOptions;

constexpr const char* kModel = "tiny-en-bi-cls";

// What the sink saw: every window's rows (their lines and first texts) and scores.
struct Seen {
  std::vector<size_t> window_sizes;
  std::vector<size_t> lines;
  std::vector<std::string> texts_a;
  std::vector<std::optional<float>> scores;
};

class CliRunPairs : public ::testing::Test {
 protected:
  void SetUp() override {
    SIMSCORE_REQUIRE_FIXTURE(fs::path("models") / kModel);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("simscore_cli_units_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    model_ = std::make_unique<io::LoadedModel>(testing::load_fixture_model(kModel, DType::f32));
    encoder_ = std::make_unique<BertEncoder>(model_->config, model_->weights, GemmBackend::onednn);
    scorer_ = std::make_unique<PairScorer>(*model_->tokenizer, *encoder_, model_->scoring);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  // Ten good rows, "a0\tb0" ... "a9\tb9", with words distinct enough to get distinct scores.
  std::string ten_rows() {
    std::string text;
    for (int i = 0; i < 10; ++i)
      text += "the cat number " + std::to_string(i) + (i % 2 ? " sat" : " ran far") + "\ta dog " +
              std::string(static_cast<size_t>(i), 'x') + " barked\n";
    return write("ten.tsv", text);
  }

  Seen run(const std::string& path, const PairRunOptions& options, PairRunCounts* counts = nullptr) {
    io::PairReader reader(path, {});
    Seen seen;
    const PairRunCounts c = cli::run_pairs(
        reader, *scorer_, options,
        [&](std::span<const io::PairRow> rows, std::span<const std::optional<float>> scores) {
          EXPECT_EQ(rows.size(), scores.size());
          seen.window_sizes.push_back(rows.size());
          for (size_t i = 0; i < rows.size(); ++i) {
            seen.lines.push_back(rows[i].line);
            seen.texts_a.push_back(rows[i].text_a);
            seen.scores.push_back(scores[i]);
          }
        });
    if (counts) *counts = c;
    return seen;
  }

  static PairRunOptions quiet_options(size_t window) {
    PairRunOptions options;
    options.window = window;
    options.quiet = true;
    return options;
  }

  fs::path dir_;
  std::unique_ptr<io::LoadedModel> model_;
  std::unique_ptr<BertEncoder> encoder_;
  std::unique_ptr<PairScorer> scorer_;
};

std::vector<size_t> iota_lines(size_t first, size_t count, size_t step = 1) {
  std::vector<size_t> lines;
  for (size_t i = 0; i < count; ++i) lines.push_back(first + i * step);
  return lines;
}

TEST_F(CliRunPairs, WindowsOfNRowsReachTheSinkInInputOrder) {
  const std::string path = ten_rows();
  PairRunCounts counts;
  const Seen seen = run(path, quiet_options(4), &counts);
  EXPECT_EQ(seen.window_sizes, (std::vector<size_t>{4, 4, 2}));
  EXPECT_EQ(seen.lines, iota_lines(1, 10));
  EXPECT_EQ(counts.rows, 10u);
  EXPECT_EQ(counts.windows, 3u);
  EXPECT_EQ(counts.failed, 0u);
  ASSERT_EQ(seen.scores.size(), 10u);
  for (const auto& score : seen.scores) EXPECT_TRUE(score.has_value());
  // Each row's score is its own pair's, whatever window it came in: one window of all rows agrees.
  const Seen whole = run(path, quiet_options(100));
  EXPECT_EQ(whole.window_sizes, (std::vector<size_t>{10}));
  for (size_t i = 0; i < 10; ++i) EXPECT_NEAR(*seen.scores[i], *whole.scores[i], 1e-6) << "row " << i;
  // And the scores differ between rows, so a shuffled order could not pass unnoticed.
  EXPECT_NE(*seen.scores[0], *seen.scores[9]);
  EXPECT_NE(*seen.scores[1], *seen.scores[2]);
}

TEST_F(CliRunPairs, AWindowAlsoEndsAtItsByteLimit) {
  // Every row costs 1000 bytes of overhead plus its short texts (well under 500): a 2500-byte limit
  // is reached by the third row, so windows hold 3 rows although 100 are allowed.
  PairRunOptions options = quiet_options(100);
  options.row_overhead_bytes = 1000;
  options.window_bytes = 2500;
  const Seen seen = run(ten_rows(), options);
  EXPECT_EQ(seen.window_sizes, (std::vector<size_t>{3, 3, 3, 1}));
  EXPECT_EQ(seen.lines, iota_lines(1, 10));
}

TEST_F(CliRunPairs, BadRowsAreSkippedInPlaceAndCountedByReason) {
  // Line 2: one column; line 4: an empty second text; line 5: an empty line; line 7: invalid UTF-8.
  const std::string path = write("bad.tsv",
                                 "good one\tfine text\n"
                                 "only one column\n"
                                 "good two\tfine text\n"
                                 "empty second\t\n"
                                 "\n"
                                 "good three\tfine text\n"
                                 "bad \xff utf8\tfine text\n"
                                 "good four\tfine text\n");
  PairRunOptions options = quiet_options(3);
  options.skip_bad_rows = true;
  PairRunCounts counts;
  const Seen seen = run(path, options, &counts);
  EXPECT_EQ(seen.lines, iota_lines(1, 8));
  EXPECT_EQ(seen.window_sizes, (std::vector<size_t>{3, 3, 2}));
  const std::vector<bool> failed = {false, true, false, true, true, false, true, false};
  ASSERT_EQ(seen.scores.size(), failed.size());
  for (size_t i = 0; i < failed.size(); ++i) EXPECT_EQ(!seen.scores[i].has_value(), failed[i]) << "line " << i + 1;
  EXPECT_EQ(counts.rows, 8u);
  EXPECT_EQ(counts.failed, 4u);
  EXPECT_EQ(counts.failed_by_reason,
            (std::map<std::string, size_t>{
                {"column_count", 1}, {"empty_text", 1}, {"empty_line", 1}, {"invalid_utf8", 1}}));
  // The good rows' scores are those of the good rows alone.
  const Seen good = run(write("good.tsv", "good one\tfine text\ngood two\tfine text\n"
                                          "good three\tfine text\ngood four\tfine text\n"),
                        quiet_options(3));
  const std::vector<size_t> good_index = {0, 2, 5, 7};
  for (size_t k = 0; k < good_index.size(); ++k)
    EXPECT_NEAR(*seen.scores[good_index[k]], *good.scores[k], 1e-6);
}

TEST_F(CliRunPairs, AnExtraCheckFailsRowsUnderItsOwnReason) {
  PairRunOptions options = quiet_options(10);
  options.skip_bad_rows = true;
  options.extra_check = [](const io::PairRow& row) {
    return row.text_a.find("number 3") != std::string::npos
               ? io::RowProblem(io::RowFailure::bad_label, "no label")
               : io::RowProblem();
  };
  PairRunCounts counts;
  const Seen seen = run(ten_rows(), options, &counts);
  ASSERT_EQ(seen.scores.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(seen.scores[i].has_value(), i != 3) << "row " << i;
  EXPECT_EQ(counts.failed_by_reason, (std::map<std::string, size_t>{{"bad_label", 1}}));
}

TEST_F(CliRunPairs, WithoutSkippingTheFirstBadRowThrowsNamingFileAndLine) {
  const std::string path = write("bad.tsv", "good\ttext\ngood\ttext\nempty\t\nonly one\n");
  size_t windows = 0;
  io::PairReader reader(path, {});
  try {
    cli::run_pairs(reader, *scorer_, quiet_options(2),
                   [&](std::span<const io::PairRow>, std::span<const std::optional<float>>) { ++windows; });
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), 3u);
    EXPECT_NE(std::string(e.what()), "");
  }
  // The window before the bad row's was handed on; the bad row's never was.
  EXPECT_EQ(windows, 1u);
}

TEST_F(CliRunPairs, ResumingFormsTheWindowsOfAnUninterruptedRun) {
  const std::string path = ten_rows();
  const Seen full = run(path, quiet_options(3));
  ASSERT_EQ(full.window_sizes, (std::vector<size_t>{3, 3, 3, 1}));
  // 5 rows were written: the first window (3 rows) is complete and kept, rows 4 and 5 are scored
  // again in the window they belonged to.
  PairRunOptions options = quiet_options(3);
  options.skip_rows = 5;
  size_t kept = 999;
  options.resume_at = [&](size_t rows_kept) { kept = rows_kept; };
  PairRunCounts counts;
  const Seen resumed = run(path, options, &counts);
  EXPECT_EQ(kept, 3u);
  EXPECT_EQ(resumed.window_sizes, (std::vector<size_t>{3, 3, 1}));
  EXPECT_EQ(resumed.lines, iota_lines(4, 7));
  EXPECT_EQ(counts.rows, 7u);
  // The same windows, so the same batches: the scores are bit for bit those of the full run.
  ASSERT_EQ(resumed.scores.size(), 7u);
  for (size_t i = 0; i < 7; ++i) EXPECT_EQ(*resumed.scores[i], *full.scores[i + 3]) << "row " << i + 3;
}

TEST_F(CliRunPairs, ResumingAfterCompleteWindowsOnlyStartsAtTheNextRow) {
  PairRunOptions options = quiet_options(3);
  options.skip_rows = 6;
  size_t kept = 999;
  options.resume_at = [&](size_t rows_kept) { kept = rows_kept; };
  const Seen resumed = run(ten_rows(), options);
  EXPECT_EQ(kept, 6u);
  EXPECT_EQ(resumed.window_sizes, (std::vector<size_t>{3, 1}));
  EXPECT_EQ(resumed.lines, iota_lines(7, 4));
}

TEST_F(CliRunPairs, AShardSeesOnlyItsRows) {
  PairRunOptions options = quiet_options(2);
  options.shard = {1, 3};
  PairRunCounts counts;
  const Seen seen = run(ten_rows(), options, &counts);
  EXPECT_EQ(seen.lines, (std::vector<size_t>{2, 5, 8}));
  EXPECT_EQ(seen.window_sizes, (std::vector<size_t>{2, 1}));
  EXPECT_EQ(counts.rows, 3u);
  // Resuming a shard counts the shard's rows: one written row of shard 1 is row index 1 (line 2).
  options.skip_rows = 1;
  size_t kept = 999;
  options.resume_at = [&](size_t rows_kept) { kept = rows_kept; };
  const Seen resumed = run(ten_rows(), options);
  EXPECT_EQ(kept, 0u);
  EXPECT_EQ(resumed.lines, (std::vector<size_t>{2, 5, 8}));
  EXPECT_EQ(resumed.window_sizes, (std::vector<size_t>{2, 1}));
}

TEST_F(CliRunPairs, PromptsArePutBeforeEveryText) {
  const std::string plain = write("plain.tsv", "how are you\tfine thanks\nthe cat sat\ton the mat\n");
  const std::string prompted = write("prompted.tsv",
                                     "query: how are you\tpassage: fine thanks\n"
                                     "query: the cat sat\tpassage: on the mat\n");
  PairRunOptions options = quiet_options(10);
  options.prompt_a = "query: ";
  options.prompt_b = "passage: ";
  const Seen with_prompts = run(plain, options);
  const Seen written_out = run(prompted, quiet_options(10));
  const Seen without = run(plain, quiet_options(10));
  ASSERT_EQ(with_prompts.scores.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(*with_prompts.scores[i], *written_out.scores[i]) << "row " << i;
    EXPECT_NE(*with_prompts.scores[i], *without.scores[i]) << "row " << i;
  }
  // The sink gets the rows as read, without the prompts.
  EXPECT_EQ(with_prompts.texts_a, (std::vector<std::string>{"how are you", "the cat sat"}));
}

// --- output formatting ---

io::PairRow row_with(std::vector<std::string> fields, std::optional<std::string> id = std::nullopt) {
  io::PairRow row;
  row.text_a = fields.at(0);
  row.text_b = fields.at(1);
  row.fields = std::move(fields);
  row.id = std::move(id);
  return row;
}

std::string formatted(const cli::OutputOptions& options, const std::vector<io::PairRow>& rows,
                      const std::vector<std::optional<float>>& scores) {
  std::string text = "kept|";  // format_rows appends
  cli::format_rows(options, rows, scores, text);
  EXPECT_EQ(text.substr(0, 5), "kept|");
  return text.substr(5);
}

TEST(CliFormatRows, ScoresAloneOneLinePerRowAndAnEmptyLineForAFailedRow) {
  const std::vector<io::PairRow> rows = {row_with({"a", "b"}), row_with({"c", "d"}), row_with({"e", "f"})};
  EXPECT_EQ(formatted({}, rows, {0.5f, std::nullopt, -0.25f}), "0.5\n\n-0.25\n");
}

TEST(CliFormatRows, IdsComeBeforeTheScore) {
  const std::vector<io::PairRow> rows = {row_with({"a", "b", "x"}, "x"), row_with({"c", "d", "y\tz"}, "y\tz")};
  // A failed row keeps its id and an empty score field; a tab in an id is written as \t.
  EXPECT_EQ(formatted({}, rows, {0.75f, std::nullopt}), "x\t0.75\ny\\tz\t\n");
}

TEST(CliFormatRows, WithInputEchoesEveryColumnEscapingTabsAndLineBreaks) {
  cli::OutputOptions options;
  options.with_input = true;
  const std::vector<io::PairRow> rows = {row_with({"one", "two", "3"}, "3"),
                                         row_with({"line\nbreak", "cr\rhere", "tab\there"})};
  // With --with-input the id is one of the echoed columns, not written a second time.
  EXPECT_EQ(formatted(options, rows, {0.125f, std::nullopt}),
            "one\ttwo\t3\t0.125\nline\\nbreak\tcr\\rhere\ttab\\there\t\n");
}

TEST(CliFormatRows, AppendFieldKeepsOtherBytesAsTheyAre) {
  std::string text = "x";
  cli::append_field(text, "caf\xc3\xa9 \"q\" ,;");
  EXPECT_EQ(text, "xcaf\xc3\xa9 \"q\" ,;");
  cli::append_field(text, "\t\n\r");
  EXPECT_EQ(text, "xcaf\xc3\xa9 \"q\" ,;\\t\\n\\r");
}

// A backslash is escaped too, so a literal "\t" in a text and a tab echo differently, and every
// echoed field reads back (each backslash and the character after it one escape) to the original.
TEST(CliFormatRows, AppendFieldReadsBackUnambiguously) {
  const std::vector<std::string> fields = {"a\\tb", "a\tb", "x\\", "\\\\n", "\\\n", "plain"};
  std::vector<std::string> echoed;
  for (const std::string& field : fields) cli::append_field(echoed.emplace_back(), field);
  EXPECT_EQ(echoed[0], "a\\\\tb");
  EXPECT_EQ(echoed[1], "a\\tb");
  EXPECT_NE(echoed[0], echoed[1]);
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string back;
    for (size_t k = 0; k < echoed[i].size(); ++k) {
      if (echoed[i][k] != '\\') {
        back += echoed[i][k];
        continue;
      }
      const char next = echoed[i].at(++k);
      back += next == 't' ? '\t' : next == 'n' ? '\n' : next == 'r' ? '\r' : next;
    }
    EXPECT_EQ(back, fields[i]) << echoed[i];
  }
}

TEST(CliFormatRows, EveryPrintedScoreReadsBackAsTheSameFloat) {
  std::vector<float> values = {0.1f, 1.0f / 3.0f, -0.0f, 1e-8f, 0.99999994f, -1.0f,
                               std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max(),
                               std::numeric_limits<float>::min()};
  std::mt19937 random(15);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (int i = 0; i < 2000; ++i) values.push_back(uniform(random));
  // Arbitrary finite bit patterns too (every exponent).
  for (int i = 0; i < 2000; ++i) {
    const float f = std::bit_cast<float>(static_cast<uint32_t>(random()));
    if (std::isfinite(f)) values.push_back(f);
  }
  std::vector<io::PairRow> rows(values.size(), row_with({"a", "b"}));
  const std::vector<std::optional<float>> scores(values.begin(), values.end());
  const std::string text = formatted({}, rows, scores);
  size_t begin = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const size_t end = text.find('\n', begin);
    ASSERT_NE(end, std::string::npos) << "line " << i;
    const std::string field = text.substr(begin, end - begin);
    char* parsed_end = nullptr;
    const float back = std::strtof(field.c_str(), &parsed_end);
    EXPECT_EQ(parsed_end, field.c_str() + field.size()) << field;
    EXPECT_EQ(std::bit_cast<uint32_t>(back), std::bit_cast<uint32_t>(values[i])) << field;
    begin = end + 1;
  }
  EXPECT_EQ(begin, text.size());
  // Shortest: no digits past what identifies the float (0.1f is not written 0.100000001).
  EXPECT_EQ(formatted({}, {row_with({"a", "b"})}, {0.1f}), "0.1\n");
}

class CliOutputHeader : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / ("simscore_cli_units_header_" + std::to_string(getpid()) + ".tsv");
    std::ofstream(path_) << "sentence1\tsentence2\tpair\tid\nx\ty\t1\t7\n";
  }
  void TearDown() override { fs::remove(path_); }
  fs::path path_;
};

TEST_F(CliOutputHeader, NamesTheColumnsOfEachLayout) {
  io::PairReaderOptions reader_options;
  reader_options.header = true;
  const io::PairReader reader(path_.string(), reader_options);
  cli::OutputOptions options;
  EXPECT_EQ(cli::output_header(options, reader, false), "score\n");
  EXPECT_EQ(cli::output_header(options, reader, true), "id\tscore\n");
  options.with_input = true;
  EXPECT_EQ(cli::output_header(options, reader, true), "sentence1\tsentence2\tpair\tid\tscore\n");
}

TEST(CliOutputOptions, FlagsFillTheOptions) {
  CLI::App app;
  cli::OutputOptions options;
  cli::RunFiles files;
  cli::add_output_options(app, options, "Write here", files);
  EXPECT_EQ(options.path, "-");
  EXPECT_FALSE(options.with_input);
  EXPECT_FALSE(options.resume);
  app.parse("-o out.tsv --with-input --resume");
  EXPECT_EQ(options.path, "out.tsv");
  EXPECT_TRUE(options.with_input);
  EXPECT_TRUE(options.resume);
}

}  // namespace
}  // namespace simscore
