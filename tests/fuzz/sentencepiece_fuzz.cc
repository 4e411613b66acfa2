// Runs the SentencePiece tokenizer (core/tokenizer) over arbitrary text, loaded the way a model
// directory ships it (sentencepiece.bpe.model, through io/tokenizer_files) from the test models in
// ../shared/tokenizers/sentencepiece. Input layout: one byte choosing the model (bit 0), then what
// encoding_checks.h reads (max_length, text a TAB text b).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "core/tokenizer/tokenizer.h"
#include "io/tokenizer_files.h"
#include "tests/fuzz/encoding_checks.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

std::unique_ptr<simscore::Tokenizer> load(const char* model) {
  const auto source = simscore::fuzz::shared_dir() / "tokenizers" / "sentencepiece" / model;
  const auto dir = simscore::fuzz::scratch_dir() / model;
  try {
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(source, dir / "sentencepiece.bpe.model",
                               std::filesystem::copy_options::overwrite_existing);
    return simscore::io::load_tokenizer(dir).tokenizer;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cannot load %s (set SIMSCORE_SHARED): %s\n", source.c_str(), error.what());
    std::exit(1);
  }
}

const simscore::Tokenizer& tokenizer(int which) {
  static const auto english = load("test_model.model");
  static const auto japanese = load("test_ja_model.model");
  return which == 0 ? *english : *japanese;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tokenizer(0);
  tokenizer(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  simscore::fuzz::check_encodings(tokenizer(data[0] & 1), data + 1, size - 1);
  return 0;
}
