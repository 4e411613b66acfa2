// Loads a mutated tokenizer model directory with io/tokenizer_files, then tokenizes a few texts
// with what it built. Input layout: the main file, optionally followed by a NUL byte and a
// tokenizer_config.json. The main file is tokenizer.json when it starts with '{', else vocab.txt.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "core/errors.h"
#include "core/tokenizer/tokenizer.h"
#include "io/tokenizer_files.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view main_file = input.substr(0, nul);

  const auto dir = simscore::fuzz::scratch_dir() / "model";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directory(dir);
  const bool json = !main_file.empty() && main_file.front() == '{';
  simscore::fuzz::write_file(dir / (json ? "tokenizer.json" : "vocab.txt"), main_file);
  if (nul != std::string_view::npos) {
    simscore::fuzz::write_file(dir / "tokenizer_config.json", input.substr(nul + 1));
  }

  try {
    const simscore::io::LoadedTokenizer loaded = simscore::io::load_tokenizer(dir);
    const simscore::Tokenizer& tok = *loaded.tokenizer;
    for (std::string_view text : {"Hello, world! [CLS] [MASK] unaffable", "中文句子，还有 ＡＢＣ。",
                                  " \t\xe2\x80\x8b\xcc\x81 e\xcc\x81t\xc3\xa9 \xf0\x9f\x98\x80 "}) {
      const simscore::Encoding encoding = simscore::encode_pair(tok, text, text, 16);
      SIMSCORE_FUZZ_CHECK(encoding.ids.size() <= 16);
      for (int32_t id : encoding.ids) {
        SIMSCORE_FUZZ_CHECK(id >= 0 && static_cast<size_t>(id) < tok.vocab_size());
      }
    }
  } catch (const simscore::ModelError&) {
    // A documented rejection: malformed file, unsupported pipeline step, missing special token.
  }
  return 0;
}
