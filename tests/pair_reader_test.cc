// PairReader on small files written by each test (one rule per test), an exhaustive UTF-8 sweep
// checked against an independent decoder, and the real data sets in ../shared/data.

#include "io/pair_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/errors.h"
#include "tests/test_paths.h"

namespace simscore::io {
namespace {

namespace fs = std::filesystem;

class PairReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("simscore_pair_reader_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& bytes) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path.string();
  }
  // A gzip file written by zlib; `members` > 1 splits the bytes into concatenated gzip members.
  std::string write_gzip(const std::string& name, const std::string& bytes, int members = 1) {
    const fs::path path = dir_ / name;
    const size_t part = bytes.size() / members + 1;
    for (int m = 0; m < members; ++m) {
      gzFile file = gzopen(path.c_str(), m == 0 ? "wb" : "ab");
      EXPECT_NE(file, nullptr);
      const size_t begin = std::min(bytes.size(), m * part);
      const size_t size = std::min(bytes.size() - begin, part);
      if (size > 0) {
        EXPECT_EQ(gzwrite(file, bytes.data() + begin, static_cast<unsigned>(size)), static_cast<int>(size));
      }
      gzclose(file);
    }
    return path.string();
  }

  fs::path dir_;
};

std::vector<PairRow> read_all(const std::string& path, const PairReaderOptions& options = {}) {
  PairReader reader(path, options);
  std::vector<PairRow> rows;
  PairRow row;
  while (reader.next(row)) rows.push_back(row);
  return rows;
}

PairReaderOptions with_format(PairFormat format) {
  PairReaderOptions options;
  options.format = format;
  return options;
}

// Runs `body`, which must throw InputError; returns it for inspection.
template <typename Body>
InputError expect_input_error(Body body) {
  try {
    body();
  } catch (const InputError& error) {
    return error;
  }
  ADD_FAILURE() << "expected InputError";
  return InputError("", 0, "");
}

TEST_F(PairReaderTest, TsvColumnsLabelAndExtraColumns) {
  PairReaderOptions options;
  options.columns = {"1", "2", "3", "4"};
  const auto rows = read_all(write("a.tsv", "a one\tb one\t1\tid1\textra\nA two\tB two\t0\tid2\n"), options);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].line, 1u);
  EXPECT_EQ(rows[0].text_a, "a one");
  EXPECT_EQ(rows[0].text_b, "b one");
  EXPECT_EQ(rows[0].label, "1");
  EXPECT_EQ(rows[0].id, "id1");
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"a one", "b one", "1", "id1", "extra"}));
  EXPECT_EQ(rows[0].error, "");
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[1].fields.size(), 4u);
  EXPECT_EQ(rows[1].label, "0");
}

TEST_F(PairReaderTest, ColumnsCanBeInAnyOrder) {
  PairReaderOptions options;
  options.columns = {"3", "1", "2", std::nullopt};
  const auto rows = read_all(write("a.tsv", "L\tB\tA\n"), options);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].text_a, "A");
  EXPECT_EQ(rows[0].text_b, "L");
  EXPECT_EQ(rows[0].label, "B");
}

TEST_F(PairReaderTest, BomCrlfAndMissingFinalNewline) {
  const auto rows = read_all(write("a.tsv", "\xEF\xBB\xBFx\ty\r\nsecond\tline\r\nlast\tone"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].text_a, "x");  // no BOM
  EXPECT_EQ(rows[0].text_b, "y");  // no \r
  EXPECT_EQ(rows[1].text_b, "line");
  EXPECT_EQ(rows[2].line, 3u);
  EXPECT_EQ(rows[2].text_a, "last");
  EXPECT_EQ(rows[2].text_b, "one");
  for (const auto& row : rows) EXPECT_EQ(row.error, "");
}

TEST_F(PairReaderTest, BomOnlyAtTheStartIsDropped) {
  // A BOM later in the file is content (U+FEFF), not a marker.
  const auto rows = read_all(write("a.tsv", "a\tb\n\xEF\xBB\xBFz\tw\n"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].text_a, "\xEF\xBB\xBFz");
}

TEST_F(PairReaderTest, TsvKeepsQuotesLiterally) {
  const std::string a = "\"Hello,\" he said";
  const std::string b = "a lone \" quote\tthat does not join lines";
  const auto rows = read_all(write("a.tsv", a + "\t\"quoted\"\n" + b + "\n\"\"\t''\n"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].text_a, a);
  EXPECT_EQ(rows[0].text_b, "\"quoted\"");
  EXPECT_EQ(rows[1].text_a, "a lone \" quote");
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[2].text_a, "\"\"");
  EXPECT_EQ(rows[2].text_b, "''");
}

TEST_F(PairReaderTest, TsvEmptyFieldsAreKept) {
  const auto rows = read_all(write("a.tsv", "\tb\t\n"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].error, "");
  EXPECT_EQ(rows[0].text_a, "");
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"", "b", ""}));
}

TEST_F(PairReaderTest, EmptyLinesAreErrorRows) {
  const auto rows = read_all(write("a.tsv", "a\tb\n\nc\td\r\n\r\n"));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[1].error, "empty line");
  EXPECT_EQ(rows[2].text_a, "c");
  EXPECT_EQ(rows[3].line, 4u);
  EXPECT_EQ(rows[3].error, "empty line");

  const auto csv = read_all(write("a.csv", "a,b\n\n\"\",x\n"), with_format(PairFormat::csv));
  ASSERT_EQ(csv.size(), 3u);
  EXPECT_EQ(csv[1].error, "empty line");
  EXPECT_EQ(csv[2].error, "");  // an empty quoted field is not an empty line
  EXPECT_EQ(csv[2].text_a, "");

  const auto jsonl = read_all(write("a.jsonl", "{\"sentence1\":\"a\",\"sentence2\":\"b\"}\n \t\n\n"), with_format(PairFormat::jsonl));
  ASSERT_EQ(jsonl.size(), 3u);
  EXPECT_EQ(jsonl[0].error, "");
  EXPECT_EQ(jsonl[1].error, "empty line");
  EXPECT_EQ(jsonl[2].error, "empty line");
  EXPECT_EQ(jsonl[2].line, 3u);
}

TEST_F(PairReaderTest, TooFewColumnsIsAnErrorRowAndReadingGoesOn) {
  PairReaderOptions options;
  options.columns = {"1", "5", std::nullopt, std::nullopt};
  const auto rows = read_all(write("a.tsv", "a\tb\tc\na\tb\tc\td\te\nonly\n"), options);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].error, "expected at least 5 columns, found 3");
  EXPECT_EQ(rows[0].fields.size(), 3u);  // still there for --with-input
  EXPECT_EQ(rows[1].error, "");
  EXPECT_EQ(rows[1].text_b, "e");
  EXPECT_EQ(rows[2].error, "expected at least 5 columns, found 1");
}

TEST_F(PairReaderTest, MissingLabelIsAnErrorRow) {
  PairReaderOptions options;
  options.columns = {"1", "2", "3", std::nullopt};
  const auto rows = read_all(write("a.tsv", "a\tb\t1\na\tb\n"), options);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].label, "1");
  EXPECT_EQ(rows[1].error, "expected at least 3 columns, found 2");
  EXPECT_FALSE(rows[1].label.has_value());
}

TEST_F(PairReaderTest, HeaderNamesSelectColumns) {
  PairReaderOptions options;
  options.header = true;
  options.columns = {"sentence1", "sentence2", "score", "1"};
  PairReader reader(write("a.tsv", "\xEF\xBB\xBFid\tscore\tsentence1\tsentence2\r\n7\t4.5\tA\tB\r\n"), options);
  EXPECT_EQ(reader.header(), (std::vector<std::string>{"id", "score", "sentence1", "sentence2"}));
  PairRow row;
  ASSERT_TRUE(reader.next(row));
  EXPECT_EQ(row.line, 2u);
  EXPECT_EQ(row.text_a, "A");
  EXPECT_EQ(row.text_b, "B");
  EXPECT_EQ(row.label, "4.5");
  EXPECT_EQ(row.id, "7");
  EXPECT_FALSE(reader.next(row));
}

TEST_F(PairReaderTest, UnknownHeaderNameNamesTheAvailableColumns) {
  PairReaderOptions options;
  options.header = true;
  options.columns = {"sentence1", "sentence3", std::nullopt, std::nullopt};
  const std::string path = write("a.tsv", "sentence1\tsentence2\tlabel\nA\tB\t1\n");
  const InputError error = expect_input_error([&] { PairReader reader(path, options); });
  EXPECT_EQ(error.file(), path);
  EXPECT_EQ(error.line(), 1u);
  const std::string message = error.what();
  EXPECT_NE(message.find("sentence3"), std::string::npos) << message;
  EXPECT_NE(message.find("\"sentence1\", \"sentence2\", \"label\""), std::string::npos) << message;
}

TEST_F(PairReaderTest, NameWithoutHeaderAndZeroIndexAreErrors) {
  PairReaderOptions options;
  options.columns.text_a = "sentence1";
  const std::string path = write("a.tsv", "A\tB\n");
  EXPECT_EQ(expect_input_error([&] { PairReader reader(path, options); }).line(), 0u);
  options.columns.text_a = "0";
  const std::string message = expect_input_error([&] { PairReader reader(path, options); }).what();
  EXPECT_NE(message.find("1-based"), std::string::npos) << message;
}

TEST_F(PairReaderTest, MissingFileThrowsWithLineZero) {
  const std::string path = (dir_ / "absent.tsv").string();
  const InputError error = expect_input_error([&] { PairReader reader(path, {}); });
  EXPECT_EQ(error.file(), path);
  EXPECT_EQ(error.line(), 0u);
  EXPECT_EQ(expect_input_error([&] { PairReader reader(dir_.string(), {}); }).line(), 0u);
}

TEST_F(PairReaderTest, InvalidUtf8IsAnErrorRowAndReadingGoesOn) {
  const auto rows = read_all(write("a.tsv",
                                   "ok\tfine\n"
                                   "ok\tab\xC0\xAF\n"              // overlong '/'
                                   "ok\t\xED\xA0\x80\n"            // surrogate U+D800
                                   "\xF4\x90\x80\x80\tok\n"        // U+110000
                                   "ok\tcut \xE4\xB8\n"            // truncated sequence
                                   "ok\t\x80\n"                    // lone continuation byte
                                   "\xF0\x9F\x98\x80\t\xE4\xB8\xAD\n"  // U+1F600, U+4E2D: valid
                                   "last\tone\n"));
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(rows[0].error, "");
  EXPECT_EQ(rows[1].error, "invalid UTF-8 at byte 3 of column 2");
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[2].error, "invalid UTF-8 at byte 1 of column 2");
  EXPECT_EQ(rows[3].error, "invalid UTF-8 at byte 1 of column 1");
  EXPECT_EQ(rows[4].error, "invalid UTF-8 at byte 5 of column 2");
  EXPECT_EQ(rows[5].error, "invalid UTF-8 at byte 1 of column 2");
  EXPECT_EQ(rows[6].error, "");
  EXPECT_EQ(rows[6].text_a, "\xF0\x9F\x98\x80");
  EXPECT_EQ(rows[7].error, "");
  EXPECT_EQ(rows[7].text_a, "last");
}

TEST_F(PairReaderTest, NulByteIsAnErrorRow) {
  const char text[] = "a\tb\nabcdefghij\tx\0y\nc\td\n";
  const auto rows = read_all(write("a.tsv", std::string(text, sizeof text - 1)));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].error, "NUL byte at byte 2 of column 2");
  EXPECT_EQ(rows[2].text_a, "c");
  // Past the eight-byte fast path too.
  const char long_text[] = "0123456789abcdef\0\tb\n";
  const auto long_row = read_all(write("b.tsv", std::string(long_text, sizeof long_text - 1)));
  EXPECT_EQ(long_row[0].error, "NUL byte at byte 17 of column 1");
}

// Every 1-, 2- and 3-byte sequence and a sweep of 4-byte ones, one per line, against a decoder
// written from the definition (RFC 3629): decode the code point, then reject overlong forms,
// surrogates and values past U+10FFFF.
bool reference_valid(const std::string& bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0;
  while (i < bytes.size()) {
    int length = b[i] < 0x80 ? 1 : (b[i] >> 5) == 0x6 ? 2 : (b[i] >> 4) == 0xE ? 3 : (b[i] >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || i + length > bytes.size()) return false;
    uint32_t code = length == 1 ? b[i] : b[i] & (0x7F >> length);
    for (int k = 1; k < length; ++k) {
      if ((b[i + k] & 0xC0) != 0x80) return false;
      code = (code << 6) | (b[i + k] & 0x3F);
    }
    const uint32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code == 0 || code < minimum[length] || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) return false;
    i += length;
  }
  return true;
}

TEST_F(PairReaderTest, Utf8ValidationMatchesTheDefinition) {
  std::vector<std::string> cases;
  for (int a = 1; a < 256; ++a) {
    if (a == '\n' || a == '\t' || a == '\r') continue;
    cases.push_back(std::string(1, static_cast<char>(a)));
    for (int b = 0; b < 256; ++b) {
      if (b == '\n' || b == '\t' || b == '\r') continue;
      cases.push_back({static_cast<char>(a), static_cast<char>(b)});
    }
  }
  for (int a = 0xE0; a <= 0xEF; ++a)
    for (int b = 0x70; b < 0xD0; ++b)
      for (int c = 0x70; c < 0xD0; ++c)
        cases.push_back({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
  for (int a : {0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF8})
    for (int b = 0x70; b < 0xD0; ++b)
      for (int c : {0x7F, 0x80, 0xBF, 0xC0})
        cases.push_back({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), '\x80', 'x'});
  std::string file;
  for (const auto& text : cases) file += "prefix12" + text + "\tb\n";  // past the 8-byte fast path
  const auto rows = read_all(write("utf8.tsv", file));
  ASSERT_EQ(rows.size(), cases.size());
  size_t valid = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const bool expected = reference_valid(cases[i]);
    valid += expected;
    ASSERT_EQ(rows[i].error.empty(), expected) << "line " << i + 1 << ": " << rows[i].error;
  }
  EXPECT_GT(valid, 10000u);  // the sweep covers both outcomes
  EXPECT_GT(cases.size() - valid, 10000u);
}

TEST_F(PairReaderTest, OverlongLineIsAnErrorRowAndReadingGoesOn) {
  PairReaderOptions options;
  options.max_line_bytes = 64;
  const std::string exact(62, 'x');  // "x..x\tb" is 64 bytes
  const std::string path = write("a.tsv", "a\tb\n" + std::string(3'000'000, 'y') + "\tz\n" + exact + "\tb\r\n" +
                                              exact + "x\tb\n" + "c\td");
  PairReader reader(path, options);
  std::vector<PairRow> rows;
  PairRow row;
  while (reader.next(row)) rows.push_back(row);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[1].error, "line is longer than 64 bytes");
  EXPECT_TRUE(rows[1].fields.empty());
  EXPECT_EQ(rows[2].error, "");  // exactly at the limit, even with a \r to strip
  EXPECT_EQ(rows[2].text_a, exact);
  EXPECT_EQ(rows[3].error, "line is longer than 64 bytes");
  EXPECT_EQ(rows[4].line, 5u);
  EXPECT_EQ(rows[4].text_b, "d");
}

TEST_F(PairReaderTest, CsvQuotingFollowsRfc4180) {
  const std::string path = write("a.csv",
                                 "plain,\"with, comma\",1\r\n"
                                 "\"say \"\"hi\"\"\",\"two\nlines\",0\n"
                                 "next,record,1\n"
                                 "\"\",\"a\r\nb\",x\n"
                                 "mid\"quote,\"ab\"c,2,after\"q\"x");
  PairReaderOptions options = with_format(PairFormat::csv);
  options.columns.label.emplace("3");
  const auto rows = read_all(path, options);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].line, 1u);
  EXPECT_EQ(rows[0].text_a, "plain");
  EXPECT_EQ(rows[0].text_b, "with, comma");
  EXPECT_EQ(rows[0].label, "1");  // no \r
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[1].text_a, "say \"hi\"");
  EXPECT_EQ(rows[1].text_b, "two\nlines");
  EXPECT_EQ(rows[2].line, 4u);  // the quoted newline moved it down a line
  EXPECT_EQ(rows[2].text_a, "next");
  EXPECT_EQ(rows[3].line, 5u);
  EXPECT_EQ(rows[3].text_b, "a\r\nb");  // line breaks inside quotes are content
  // What Python's csv module reads: a quote inside an unquoted field is kept, text after a closing
  // quote is appended.
  EXPECT_EQ(rows[4].line, 7u);
  EXPECT_EQ(rows[4].text_a, "mid\"quote");
  EXPECT_EQ(rows[4].text_b, "abc");
  EXPECT_EQ(rows[4].label, "2");
  EXPECT_EQ(rows[4].fields[3], "after\"q\"x");
  for (const auto& row : rows) EXPECT_EQ(row.error, "") << row.line;
}

TEST_F(PairReaderTest, CsvHeaderAndErrorRows) {
  PairReaderOptions options = with_format(PairFormat::csv);
  options.header = true;
  options.columns = {"b", "a", std::nullopt, std::nullopt};
  const auto rows = read_all(write("a.csv", "\xEF\xBB\xBF\"a\",b\n1,2\nonly\n3,\"\xFF\"\n"), options);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].line, 2u);
  EXPECT_EQ(rows[0].text_a, "2");
  EXPECT_EQ(rows[0].text_b, "1");
  EXPECT_EQ(rows[1].error, "expected at least 2 columns, found 1");
  EXPECT_EQ(rows[2].error, "invalid UTF-8 at byte 1 of column 2");
}

TEST_F(PairReaderTest, CsvUnterminatedQuoteThrowsWithTheRecordsLine) {
  const std::string path = write("a.csv", "a,b\nc,\"never closed\nd,e\nf,g\n");
  PairReader reader(path, with_format(PairFormat::csv));
  PairRow row;
  ASSERT_TRUE(reader.next(row));
  const InputError error = expect_input_error([&] { reader.next(row); });
  EXPECT_EQ(error.file(), path);
  EXPECT_EQ(error.line(), 2u);
}

TEST_F(PairReaderTest, CsvOverlongRecordIsAnErrorRow) {
  PairReaderOptions options = with_format(PairFormat::csv);
  options.max_line_bytes = 32;
  const auto rows = read_all(write("a.csv", "a,b\n\"" + std::string(1000, 'x') + "\n\n\",b\nc,d\n"), options);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].error, "record is longer than 32 bytes");
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[2].line, 5u);
  EXPECT_EQ(rows[2].text_a, "c");
}

TEST_F(PairReaderTest, JsonLinesKeysIndexesAndLabels) {
  PairReaderOptions options = with_format(PairFormat::jsonl);
  options.columns = {"sentence1", "sentence2", "label", "id"};
  const std::string path = write("a.jsonl",
                                 "{\"id\": 7, \"sentence1\": \"\xE4\xBD\xA0\xE5\xA5\xBD\", \"sentence2\": \"b\\\"q\\u4e2d\", \"label\": 1}\n"
                                 "{\"sentence2\": \"y\", \"sentence1\": \"x\", \"label\": 0.5, \"id\": \"k\"}\n"
                                 "{\"sentence1\": \"x\", \"sentence2\": \"y\", \"label\": \"0\", \"id\": true}\r\n"
                                 "{\"sentence1\": \"x\", \"sentence2\": \"y\", \"label\": null, \"id\": 1}\n"
                                 "{\"sentence1\": \"x\", \"sentence2\": [1], \"label\": 1, \"id\": 1}\n"
                                 "{\"sentence1\": \"x\", \"label\": 1, \"id\": 1}\n"
                                 "[\"x\", \"y\"]\n"
                                 "{\"sentence1\": \"x\",\n"
                                 "{\"sentence1\": \"a\\u0000b\", \"sentence2\": \"y\", \"label\": 1, \"id\": 1}\n"
                                 "{\"sentence1\": \"\xC0\xAF\"}\n"
                                 "{\"sentence1\": \"last\", \"sentence2\": \"row\", \"label\": 5, \"id\": -2}");
  PairReader reader(path, options);
  EXPECT_EQ(reader.header(), (std::vector<std::string>{"id", "sentence1", "sentence2", "label"}));
  std::vector<PairRow> rows;
  PairRow row;
  while (reader.next(row)) rows.push_back(row);
  ASSERT_EQ(rows.size(), 11u);
  EXPECT_EQ(rows[0].error, "");
  EXPECT_EQ(rows[0].text_a, "\xE4\xBD\xA0\xE5\xA5\xBD");
  EXPECT_EQ(rows[0].text_b, "b\"q\xE4\xB8\xAD");
  EXPECT_EQ(rows[0].label, "1");
  EXPECT_EQ(rows[0].id, "7");
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"\xE4\xBD\xA0\xE5\xA5\xBD", "b\"q\xE4\xB8\xAD", "1", "7"}));
  EXPECT_EQ(rows[1].text_a, "x");
  EXPECT_EQ(rows[1].label, "0.5");
  EXPECT_EQ(rows[2].label, "0");
  EXPECT_EQ(rows[2].id, "1");
  EXPECT_EQ(rows[2].error, "");
  EXPECT_EQ(rows[3].error, "column \"label\" is null, expected a string or a number");
  EXPECT_EQ(rows[4].error, "column \"sentence2\" is array, expected a string (a text)");
  EXPECT_EQ(rows[5].error, "missing key \"sentence2\"; the line has \"sentence1\", \"label\", \"id\"");
  EXPECT_EQ(rows[6].error, "expected a JSON object, found array");
  EXPECT_EQ(rows[7].error.rfind("invalid JSON: ", 0), 0u) << rows[7].error;
  EXPECT_EQ(rows[8].error, "NUL character in column \"sentence1\"");
  EXPECT_EQ(rows[9].error, "invalid UTF-8 at byte 16 of the line");
  EXPECT_EQ(rows[10].error, "");
  EXPECT_EQ(rows[10].line, 11u);
  EXPECT_EQ(rows[10].label, "5");
  EXPECT_EQ(rows[10].id, "-2");
}

// With no column flags a JSON object is read by its keys' names, never by position: an "id" key
// first must not become the first text.
TEST_F(PairReaderTest, JsonLinesDefaultKeysAreNamesNotPositions) {
  PairReaderOptions options = with_format(PairFormat::jsonl);
  options.columns.label = "";  // eval's default
  const auto rows = read_all(write("a.jsonl",
                                   "{\"id\": 0, \"sentence1\": \"s one\", \"sentence2\": \"s two\", \"label\": 1}\n"
                                   "{\"label\": 0, \"text_b\": \"b\", \"text_a\": \"a\"}\n"
                                   "{\"query\": \"q\", \"passage\": \"p\", \"label\": \"1\"}\n"
                                   "{\"id\": 3, \"s1\": \"x\", \"sentence2\": \"y\", \"label\": 0}\n"
                                   "{\"sentence1\": \"x\", \"sentence2\": \"y\"}\n"),
                             options);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].error, "");
  EXPECT_EQ(rows[0].text_a, "s one");
  EXPECT_EQ(rows[0].text_b, "s two");
  EXPECT_EQ(rows[0].label, "1");
  EXPECT_EQ(rows[1].text_a, "a");
  EXPECT_EQ(rows[1].text_b, "b");
  EXPECT_EQ(rows[1].label, "0");
  EXPECT_EQ(rows[2].text_a, "q");
  EXPECT_EQ(rows[2].text_b, "p");
  EXPECT_EQ(rows[3].error,
            "missing key \"sentence1\" (nor \"text_a\", \"query\"); the line has \"id\", \"s1\", \"sentence2\", \"label\"");
  EXPECT_EQ(rows[4].error, "missing key \"label\"; the line has \"sentence1\", \"sentence2\"");
}

TEST_F(PairReaderTest, HeaderDefaultsToColumnNamesElsePositionsWithANotice) {
  PairReaderOptions options;
  options.header = true;
  options.columns.label = "";
  PairReader named(write("named.tsv", "label\tid\tsentence2\tsentence1\n1\tk\tb\ta\n"), options);
  EXPECT_EQ(named.default_columns_notice(), "");
  PairRow row;
  ASSERT_TRUE(named.next(row));
  EXPECT_EQ(row.text_a, "a");
  EXPECT_EQ(row.text_b, "b");
  EXPECT_EQ(row.label, "1");

  PairReader positional(write("positional.tsv", "first\tsecond\tscore\nx\ty\t0\n"), options);
  EXPECT_EQ(positional.default_columns_notice(),
            "the header names no default column, so by position: text_a = column 1 (\"first\"), "
            "text_b = column 2 (\"second\"), label = column 3 (\"score\")");
  ASSERT_TRUE(positional.next(row));
  EXPECT_EQ(row.text_a, "x");
  EXPECT_EQ(row.label, "0");

  options.format = PairFormat::csv;
  PairReader mixed(write("mixed.csv", "a,sentence2,label\nx,y,1\n"), options);
  EXPECT_EQ(mixed.default_columns_notice(),
            "the header names no default column, so by position: text_a = column 1 (\"a\")");
}

// stdin has no file name to tell JSON lines by; read as TSV, each object would be one text.
TEST_F(PairReaderTest, JsonLinesReadAsGuessedTsvIsRefused) {
  const std::string path = write("pairs.txt", "{\"sentence1\": \"a\", \"sentence2\": \"b\"}\n");
  PairReaderOptions options;
  options.format_guessed = true;
  const InputError error = expect_input_error([&] {
    PairReader reader(path, options);
    PairRow row;
    reader.next(row);
  });
  EXPECT_EQ(error.line(), 1u);
  EXPECT_NE(std::string(error.what()).find("--format jsonl"), std::string::npos) << error.what();
  options.header = true;
  EXPECT_NE(std::string(expect_input_error([&] { PairReader reader(path, options); }).what()).find("--format jsonl"),
            std::string::npos);

  options = {};  // --format tsv given: taken as asked
  const auto rows = read_all(path, options);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].error, "expected at least 2 columns, found 1");
}

// Found by tests/fuzz/pair_reader_fuzz.cc (a line of 300 digits): a number beyond a double's range
// makes nlohmann::json throw out_of_range, not parse_error, which escaped the reader.
TEST_F(PairReaderTest, JsonLinesNumberOverflowIsAnErrorRow) {
  PairReaderOptions options = with_format(PairFormat::jsonl);
  options.columns = {"a", "b", std::nullopt, std::nullopt};
  const auto rows = read_all(write("a.jsonl", "1e999\n{\"a\": \"x\", \"b\": -1e400}\n{\"a\": \"x\", \"b\": \"y\"}\n"),
                             options);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].error.rfind("invalid JSON: number overflow", 0), 0u) << rows[0].error;
  EXPECT_EQ(rows[1].error.rfind("invalid JSON: number overflow", 0), 0u) << rows[1].error;
  EXPECT_EQ(rows[2].error, "");
  EXPECT_EQ(rows[2].text_b, "y");
}

TEST_F(PairReaderTest, JsonLinesIndexFollowsDocumentOrder) {
  PairReaderOptions options = with_format(PairFormat::jsonl);
  options.columns = {"2", "1", "3", std::nullopt};
  const auto rows = read_all(write("a.jsonl", "{\"zeta\": \"first\", \"alpha\": \"second\", \"m\": 1}\n{\"zeta\": \"a\"}\n"),
                             options);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].text_a, "second");  // not sorted by key
  EXPECT_EQ(rows[0].text_b, "first");
  EXPECT_EQ(rows[0].label, "1");
  EXPECT_EQ(rows[1].error, "expected at least 2 keys, found 1");
}

TEST_F(PairReaderTest, GzipByExtensionAndByMagicBytes) {
  std::string text;
  for (int i = 0; i < 50000; ++i) text.append("a").append(std::to_string(i)).append("\tb").append(std::to_string(i)).append("\n");
  const std::string with_bom = std::string("\xEF\xBB\xBF").append(text);
  for (const auto& path : {write_gzip("a.tsv.gz", with_bom), write_gzip("no_extension.tsv", text),
                           write_gzip("members.tsv.gz", text, 3)}) {
    const auto rows = read_all(path);
    ASSERT_EQ(rows.size(), 50000u) << path;
    for (int i : {0, 1, 12345, 49999}) {
      EXPECT_EQ(rows[i].text_a, std::string("a").append(std::to_string(i))) << path;
      EXPECT_EQ(rows[i].text_b, std::string("b").append(std::to_string(i))) << path;
      EXPECT_EQ(rows[i].line, static_cast<size_t>(i + 1));
      EXPECT_EQ(rows[i].error, "");
    }
  }
}

TEST_F(PairReaderTest, DamagedGzipThrows) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "sentence " + std::to_string(i * 7919) + "\tother " + std::to_string(i) + "\n";
  std::ifstream in(write_gzip("good.gz", text), std::ios::binary);
  const std::string compressed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  const std::string truncated = write("truncated.tsv.gz", compressed.substr(0, compressed.size() / 2));
  std::string flipped = compressed;
  for (size_t i = compressed.size() / 3; i < compressed.size() / 3 + 16; ++i) flipped[i] ^= 0x5A;
  const std::string corrupt = write("corrupt.tsv.gz", flipped);
  const std::string trailing = write("trailing.tsv.gz", compressed + "garbage");
  const std::string not_gzip = write("plain.tsv.gz", "a\tb\n");
  for (const auto& path : {truncated, corrupt, trailing, not_gzip}) {
    const InputError error = expect_input_error([&] {
      PairReader reader(path, {});
      PairRow row;
      while (reader.next(row)) {
      }
    });
    EXPECT_EQ(error.file(), path);
    EXPECT_NE(std::string(error.what()).find("gzip"), std::string::npos) << error.what();
  }
}

TEST_F(PairReaderTest, ManyRowsAcrossBufferBoundaries) {
  // Several MiB so lines straddle the reader's 1 MiB refills, with CRLF and multibyte text.
  std::string text;
  const int count = 200000;
  for (int i = 0; i < count; ++i) text += "\xE4\xB8\xAD" + std::to_string(i) + "\t" + std::string(i % 37, 'b') + "\r\n";
  ASSERT_GT(text.size(), size_t{3} << 20);
  PairReader reader(write("a.tsv", text), {});
  PairRow row;
  int n = 0;
  while (reader.next(row)) {
    ASSERT_EQ(row.error, "") << n;
    ASSERT_EQ(row.text_a, "\xE4\xB8\xAD" + std::to_string(n));
    ASSERT_EQ(row.text_b, std::string(n % 37, 'b'));
    ++n;
  }
  EXPECT_EQ(n, count);
}

TEST_F(PairReaderTest, EmptyFileHasNoRows) {
  EXPECT_TRUE(read_all(write("a.tsv", "")).empty());
  EXPECT_TRUE(read_all(write("b.tsv", "\xEF\xBB\xBF")).empty());
  EXPECT_TRUE(read_all(write("c.csv", ""), with_format(PairFormat::csv)).empty());
  PairReaderOptions options;
  options.header = true;
  PairReader reader(write("d.tsv", ""), options);
  EXPECT_TRUE(reader.header().empty());
  PairRow row;
  EXPECT_FALSE(reader.next(row));
}

// "-" reads file descriptor 0; gzip is recognised there by its magic bytes alone.
TEST_F(PairReaderTest, StdinIsDashAndMayBeGzip) {
  const std::string path = write_gzip("piped", "a\tb\nc\td\n");
  const int saved = dup(0);
  ASSERT_GE(saved, 0);
  FILE* file = std::fopen(path.c_str(), "rb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(dup2(fileno(file), 0), 0);
  std::fclose(file);
  std::vector<PairRow> rows;
  std::string name;
  {
    PairReader reader("-", {});
    name = reader.display_name();
    PairRow row;
    while (reader.next(row)) rows.push_back(row);
  }
  dup2(saved, 0);
  close(saved);
  EXPECT_EQ(name, "<stdin>");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].text_a, "c");
  EXPECT_EQ(rows[1].text_b, "d");
}

TEST(GuessPairFormat, FromExtension) {
  EXPECT_EQ(guess_pair_format("x.tsv"), PairFormat::tsv);
  EXPECT_EQ(guess_pair_format("x.txt.gz"), PairFormat::tsv);
  EXPECT_EQ(guess_pair_format("dir.v2/LCQMC.test.data"), PairFormat::tsv);
  EXPECT_EQ(guess_pair_format("x.CSV"), PairFormat::csv);
  EXPECT_EQ(guess_pair_format("x.csv.gz"), PairFormat::csv);
  EXPECT_EQ(guess_pair_format("dev.json"), PairFormat::jsonl);
  EXPECT_EQ(guess_pair_format("x.jsonl.gz"), PairFormat::jsonl);
  EXPECT_EQ(guess_pair_format("-"), PairFormat::tsv);
}

// The real data sets: every row reads cleanly, the counts match shared/data/README.md, and the
// first and last rows' texts are what Python reads from the files (str.split('\t') / json.loads).
struct SharedFile {
  const char* path;
  PairFormat format;
  bool header;
  PairColumns columns;
  size_t rows;
  std::string first_a, first_b, first_label;
  std::string last_a = {}, last_b = {};  // checked when not empty
};

void check_shared(const SharedFile& file) {
  PairReaderOptions options;
  options.format = file.format;
  options.header = file.header;
  options.columns = file.columns;
  PairReader reader((testing::shared_dir() / file.path).string(), options);
  PairRow row;
  size_t rows = 0, errors = 0;
  while (reader.next(row)) {
    if (rows == 0) {
      EXPECT_EQ(row.text_a, file.first_a) << file.path;
      EXPECT_EQ(row.text_b, file.first_b) << file.path;
      EXPECT_EQ(row.label, file.first_label) << file.path;
    }
    if (!row.error.empty() && ++errors <= 5) ADD_FAILURE() << file.path << ":" << row.line << ": " << row.error;
    EXPECT_TRUE(row.label.has_value() && !row.label->empty()) << file.path << ":" << row.line;
    ++rows;
  }
  EXPECT_EQ(rows, file.rows) << file.path;
  EXPECT_EQ(errors, 0u) << file.path;
  if (!file.last_a.empty()) {
    EXPECT_EQ(row.text_a, file.last_a) << file.path;
    EXPECT_EQ(row.text_b, file.last_b) << file.path;
  }
}

TEST(PairReaderSharedData, Lcqmc) {
  SIMSCORE_REQUIRE_SHARED("data/senteval_cn/LCQMC/LCQMC.test.data");
  check_shared({"data/senteval_cn/LCQMC/LCQMC.test.data", PairFormat::tsv, false, {"1", "2", "3", {}}, 12500,
                "谁有狂三这张高清的", "这张高清图，谁有", "0", "天兵天将是什么生肖？", "天兵天将是指什么生肖"});
}

TEST(PairReaderSharedData, Pawsx) {
  SIMSCORE_REQUIRE_SHARED("data/senteval_cn/PAWSX/PAWSX.test.data");
  check_shared({"data/senteval_cn/PAWSX/PAWSX.test.data", PairFormat::tsv, false, {"1", "2", "3", {}}, 2000,
                "2005 年末至 2009 年期间是例外，当时他效力于瑞典的卡斯塔德联队、塞尔维亚的查查克足球俱乐部和俄罗斯的格罗兹尼特里克足球俱乐部。",
                "例外情况发生于 2005 年末至 2009 年期间，当时他效力于瑞典的卡斯塔德联队、塞尔维亚的查查克足球俱乐部和俄罗斯的格罗兹尼艾卡马特足球俱乐部。",
                "1"});
}

TEST(PairReaderSharedData, StsbChinese) {
  SIMSCORE_REQUIRE_SHARED("data/senteval_cn/STS-B/STS-B.test.data");
  check_shared({"data/senteval_cn/STS-B/STS-B.test.data", PairFormat::tsv, false, {"1", "2", "3", {}}, 1361,
                "一个女孩在给她的头发做发型。", "一个女孩在梳头。", "2"});
}

// Every row problem carries its reason, set where the reader finds it (the report counts by it).
TEST_F(PairReaderTest, RowProblemsCarryTheirReason) {
  PairReaderOptions tsv;
  tsv.max_line_bytes = 64;
  const auto rows = read_all(write("a.tsv", std::string("a\tb\n\nonly one\nx\t\xff\nx\ty") + '\0' + "z\n" +
                                                std::string(100, 'l') + "\n"), tsv);
  const std::vector<RowFailure> tsv_reasons = {RowFailure::none, RowFailure::empty_line, RowFailure::column_count,
                                               RowFailure::invalid_utf8, RowFailure::nul_byte,
                                               RowFailure::line_too_long};
  ASSERT_EQ(rows.size(), tsv_reasons.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].failure, tsv_reasons[i]) << i << " " << rows[i].error;
    EXPECT_EQ(rows[i].error.empty(), tsv_reasons[i] == RowFailure::none) << i;
  }
  PairReaderOptions jsonl = with_format(PairFormat::jsonl);
  jsonl.columns.label = "";
  const auto lines = read_all(write("a.jsonl",
                                    "{\"sentence1\":\"a\",\"sentence2\":\"b\",\"label\":1}\n"
                                    "{not json\n[1, 2]\n{\"sentence1\":\"a\"}\n"
                                    "{\"sentence1\":\"a\",\"sentence2\":null,\"label\":1}\n"
                                    "{\"sentence1\":\"a\",\"sentence2\":\"b\",\"label\":null}\n"
                                    "{\"sentence1\":\"a\\u0000\",\"sentence2\":\"b\",\"label\":1}\n"),
                              jsonl);
  const std::vector<RowFailure> jsonl_reasons = {RowFailure::none,         RowFailure::invalid_json,
                                                 RowFailure::invalid_json, RowFailure::column_count,
                                                 RowFailure::other,        RowFailure::bad_label,
                                                 RowFailure::nul_byte};
  ASSERT_EQ(lines.size(), jsonl_reasons.size());
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i].failure, jsonl_reasons[i]) << i << " " << lines[i].error;
  EXPECT_STREQ(row_failure_name(RowFailure::line_too_long), "line_too_long");
}

TEST(PairReaderSharedData, AfqmcJsonLines) {
  SIMSCORE_REQUIRE_SHARED("data/afqmc/dev.json");
  check_shared({"data/afqmc/dev.json", PairFormat::jsonl, false, {"sentence1", "sentence2", "label", {}}, 4316,
                "双十一花呗提额在哪", "里可以提花呗额度", "0"});
}

TEST(PairReaderSharedData, StsBenchmarkGzipWithHeader) {
  SIMSCORE_REQUIRE_SHARED("data/stsb_en/stsbenchmark.tsv.gz");
  check_shared({"data/stsb_en/stsbenchmark.tsv.gz", PairFormat::tsv, true, {"sentence1", "sentence2", "score", {}},
                8628, "A plane is taking off.", "An air plane is taking off.", "5.000"});
}

TEST(PairReaderSharedData, MrpcWithBomAndLiteralQuotes) {
  SIMSCORE_REQUIRE_SHARED("data/mrpc/msr_paraphrase_test.txt");
  check_shared({"data/mrpc/msr_paraphrase_test.txt", PairFormat::tsv, true, {"4", "5", "1", "2"}, 1725,
                "PCCW's chief operating officer, Mike Butcher, and Alex Arena, the chief financial officer, "
                "will report directly to Mr So.",
                "Current Chief Operating Officer Mike Butcher and Group Chief Financial Officer Alex Arena will "
                "report to So.",
                "1",
                "Sobig.F spreads when unsuspecting computer users open file attachments in emails that contain such "
                "familiar headings as \"Thank You!,\" \"Re: Details\" or \"Re: That Movie.\"",
                "The virus spreads when unsuspecting computer users open file attachments in emails that contain "
                "familiar headings like \"Thank You!\" and \"Re: Details\"."});
  // The BOM is not part of the first column's name.
  PairReaderOptions options;
  options.header = true;
  options.columns = {"#1 String", "#2 String", "Quality", {}};
  PairReader reader((testing::shared_dir() / "data/mrpc/msr_paraphrase_test.txt").string(), options);
  EXPECT_EQ(reader.header().front(), "Quality");
}

}  // namespace
}  // namespace simscore::io

namespace simscore::io {
namespace {

// A line past the limit is an error row as soon as it is known to be one: the reader does not read
// to its end first (an endless line would never be reported), and reads past the rest on the next
// row, its numbering intact.
TEST_F(PairReaderTest, OverlongLineIsReportedBeforeItsEndIsRead) {
  for (const PairFormat format : {PairFormat::tsv, PairFormat::csv, PairFormat::jsonl}) {
    PairReaderOptions options = with_format(format);
    options.max_line_bytes = 64;
    const std::string separator = format == PairFormat::csv ? "," : "\t";
    const std::string body = format == PairFormat::jsonl ? "{\"sentence1\": \"c\", \"sentence2\": \"d\"}"
                                                         : "c" + separator + "d";
    const std::string path = write("long.txt", body + "\n" + std::string(8'000'000, 'y') + "\n" + body + "\n");
    PairReader reader(path, options);
    PairRow row;
    ASSERT_TRUE(reader.next(row));
    ASSERT_TRUE(reader.next(row));
    EXPECT_EQ(row.failure, RowFailure::line_too_long) << row.error;
    EXPECT_EQ(row.line, 2u);
    EXPECT_LT(reader.bytes_read(), 4'000'000u) << "the whole line was read before its row was returned";
    ASSERT_TRUE(reader.next(row));
    EXPECT_EQ(row.error, "");
    EXPECT_EQ(row.line, 3u);
    EXPECT_EQ(row.text_a, "c");
    EXPECT_FALSE(reader.next(row));
  }
}

// Classic Mac line ends ("\r" alone) are neither a line break nor part of a text: the row is an
// error naming it (a "\r" inside CSV quotes stays content).
TEST_F(PairReaderTest, StrayCarriageReturnIsAnErrorRow) {
  const auto tsv = read_all(write("a.tsv", "a\tb\r\nc\td\re\tf\r\n"));
  ASSERT_EQ(tsv.size(), 2u);
  EXPECT_EQ(tsv[0].error, "");
  EXPECT_EQ(tsv[1].failure, RowFailure::carriage_return);
  EXPECT_NE(tsv[1].error.find("at byte 4"), std::string::npos) << tsv[1].error;
  const auto csv = read_all(write("a.csv", "a,b\r\nc,d\re,f\n\"x\ry\",z\n"), with_format(PairFormat::csv));
  ASSERT_EQ(csv.size(), 3u);
  EXPECT_EQ(csv[1].failure, RowFailure::carriage_return) << csv[1].error;
  EXPECT_EQ(csv[2].error, "");
  EXPECT_EQ(csv[2].text_a, "x\ry");
  const auto jsonl = read_all(write("a.jsonl", "{\"sentence1\": \"a\", \"sentence2\": \"b\"}\r{\"sentence1\": \"c\"}\n"),
                              with_format(PairFormat::jsonl));
  ASSERT_EQ(jsonl.size(), 1u);
  EXPECT_EQ(jsonl[0].failure, RowFailure::carriage_return) << jsonl[0].error;
  EXPECT_STREQ(row_failure_name(RowFailure::carriage_return), "carriage_return");
}

TEST_F(PairReaderTest, DuplicateHeaderNameIsRefusedWhenChosenByName) {
  PairReaderOptions options;
  options.header = true;
  options.columns = {"s", "t", std::nullopt, std::nullopt};
  const std::string path = write("a.tsv", "s\tt\ts\nx\ty\tz\n");
  const InputError error = expect_input_error([&] { PairReader reader(path, options); });
  EXPECT_EQ(error.line(), 1u);
  EXPECT_NE(std::string(error.what()).find("two columns \"s\" (columns 1 and 3)"), std::string::npos) << error.what();
  options.columns = {"3", "t", std::nullopt, std::nullopt};  // by number: no guess involved
  EXPECT_EQ(read_all(path, options).at(0).text_a, "z");
}

TEST_F(PairReaderTest, JsonTextsMustBeStrings) {
  PairReaderOptions options = with_format(PairFormat::jsonl);
  options.columns.label = "";
  const auto rows = read_all(write("a.jsonl",
                                   "{\"sentence1\": true, \"sentence2\": \"b\", \"label\": 1}\n"
                                   "{\"sentence1\": \"a\", \"sentence2\": 2, \"label\": 1}\n"
                                   "{\"sentence1\": \"a\", \"sentence2\": \"b\", \"label\": true}\n"),
                             options);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].failure, RowFailure::other);
  EXPECT_NE(rows[0].error.find("is boolean, expected a string"), std::string::npos) << rows[0].error;
  EXPECT_EQ(rows[1].failure, RowFailure::other);
  EXPECT_EQ(rows[2].error, "");  // a label may be a boolean
  EXPECT_EQ(rows[2].label, "1");
}

}  // namespace
}  // namespace simscore::io
