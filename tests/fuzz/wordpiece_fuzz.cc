// Runs the WordPiece tokenizer (core/tokenizer) over arbitrary text with the real vocabularies of
// ../shared/tokenizers (all-MiniLM-L6-v2 and bge-small-zh-v1.5), single texts and pairs with random
// max lengths. Input layout: one byte choosing the vocabulary (bit 0), then what
// encoding_checks.h reads (max_length, text a TAB text b).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "core/tokenizer/tokenizer.h"
#include "io/tokenizer_files.h"
#include "tests/fuzz/encoding_checks.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

std::unique_ptr<simscore::Tokenizer> load(const char* name) {
  const auto dir = simscore::fuzz::shared_dir() / "tokenizers" / name;
  try {
    return simscore::io::load_tokenizer(dir).tokenizer;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cannot load %s (set SIMSCORE_SHARED): %s\n", dir.c_str(), error.what());
    std::exit(1);
  }
}

const simscore::Tokenizer& tokenizer(int which) {
  static const auto minilm = load("all-MiniLM-L6-v2");
  static const auto bge = load("bge-small-zh-v1.5");
  return which == 0 ? *minilm : *bge;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tokenizer(0);  // load both before the first input, so the first run's time is not theirs
  tokenizer(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  simscore::fuzz::check_encodings(tokenizer(data[0] & 1), data + 1, size - 1);
  return 0;
}
