#pragma once
// Whether a text is one this program accepts: valid UTF-8 (Unicode table 3-7: no overlong forms, no
// surrogates, nothing past U+10FFFF) without NUL bytes. Pair files, and every text given on the
// command line (--prompt), are held to the same rule.

#include <cstddef>
#include <string>
#include <string_view>

namespace simscore::io {

// Where a text stops being acceptable: the first byte of an invalid UTF-8 sequence or a NUL byte.
struct TextProblem {
  size_t offset = std::string_view::npos;  // 0-based; npos when the text is fine
  bool nul = false;
};

TextProblem find_text_problem(std::string_view text);

// "invalid UTF-8 at byte 17 of <where>" / "NUL byte at byte 3 of <where>" (1-based bytes).
std::string describe_problem(const TextProblem& problem, const std::string& where);

}  // namespace simscore::io
