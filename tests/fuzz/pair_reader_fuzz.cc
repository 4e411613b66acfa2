// Feeds io/pair_reader arbitrary bytes as TSV, CSV or JSON lines, plain or gzipped, with the
// options the CLI can set. Input layout: one options byte, then the file's bytes.
//   bits 0-1  format: 0 tsv, 1 csv, 2 jsonl, 3 tsv
//   bit 2     header
//   bit 3     gzip the bytes before writing them (the reader also sniffs gzip magic in raw input)
//   bit 4     select a label column ("3"), bit 5 an id column ("4")
//   bit 6     select text columns by name ("sentence1", "sentence2") instead of index
//   bit 7     max_line_bytes = 64, so the too-long paths run on short inputs
// Besides memory errors it checks what the header promises: lines increase, and a row without an
// error carries valid UTF-8 without NUL in every selected text.

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/errors.h"
#include "io/pair_reader.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using simscore::io::PairFormat;
using simscore::io::PairReader;
using simscore::io::PairReaderOptions;
using simscore::io::PairRow;

std::string gzip(std::string_view bytes) {
  z_stream stream{};
  SIMSCORE_FUZZ_CHECK(deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                                   Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&stream, bytes.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  SIMSCORE_FUZZ_CHECK(deflate(&stream, Z_FINISH) == Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

// The same acceptance rule the reader documents, written independently of it.
bool valid_text(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) length = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) length = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) length = 4, cp = c & 0x07;
    else return false;
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    const uint32_t minimum = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
    if (cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);

  PairReaderOptions options;
  switch (flags & 3) {
    case 1: options.format = PairFormat::csv; break;
    case 2: options.format = PairFormat::jsonl; break;
    default: options.format = PairFormat::tsv; break;
  }
  options.header = flags & 4;
  if (flags & 16) options.columns.label = "3";
  if (flags & 32) options.columns.id = "4";
  if (flags & 64) {
    options.columns.text_a = "sentence1";
    options.columns.text_b = "sentence2";
  }
  if (flags & 128) options.max_line_bytes = 64;

  const auto path = simscore::fuzz::scratch_dir() / "pairs";
  simscore::fuzz::write_file(path, (flags & 8) ? gzip(bytes) : std::string(bytes));
  try {
    PairReader reader(path.string(), options);
    PairRow row;
    size_t last_line = 0;
    while (reader.next(row)) {
      SIMSCORE_FUZZ_CHECK(row.line > last_line);
      last_line = row.line;
      if (row.error.empty()) {
        SIMSCORE_FUZZ_CHECK(valid_text(row.text_a));
        SIMSCORE_FUZZ_CHECK(valid_text(row.text_b));
        if (row.label) SIMSCORE_FUZZ_CHECK(valid_text(*row.label));
        if (row.id) SIMSCORE_FUZZ_CHECK(valid_text(*row.id));
        // A JSON escape never decodes to more bytes than it takes, so this holds for every format.
        SIMSCORE_FUZZ_CHECK(row.text_a.size() <= options.max_line_bytes);
        SIMSCORE_FUZZ_CHECK(row.text_b.size() <= options.max_line_bytes);
      }
    }
  } catch (const simscore::InputError&) {
    // A documented rejection: unreadable stream, bad header, unterminated quote.
  }
  return 0;
}
