#include "io/text_check.h"

#include <cstdint>
#include <cstring>

namespace simscore::io {

TextProblem find_text_problem(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t i = 0;
  while (i < size) {
    // Eight ASCII bytes at a time: no high bit set and no zero byte among them.
    if (i + 8 <= size) {
      uint64_t word;
      std::memcpy(&word, bytes + i, 8);
      const uint64_t high = 0x8080808080808080ull;
      const uint64_t has_zero = (word - 0x0101010101010101ull) & ~word & high;
      if ((word & high) == 0 && has_zero == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = bytes[i];
    if (c == 0) return {i, true};
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    unsigned char low = 0x80, high = 0xBF;  // range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;   // overlong
      if (c == 0xED) high = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;   // overlong
      if (c == 0xF4) high = 0x8F;  // past U+10FFFF
    } else {
      return {i, false};
    }
    if (i + length > size || bytes[i + 1] < low || bytes[i + 1] > high) return {i, false};
    for (size_t k = 2; k < length; ++k)
      if (bytes[i + k] < 0x80 || bytes[i + k] > 0xBF) return {i, false};
    i += length;
  }
  return {};
}

std::string describe_problem(const TextProblem& problem, const std::string& where) {
  return std::string(problem.nul ? "NUL byte" : "invalid UTF-8") + " at byte " +
         std::to_string(problem.offset + 1) + " of " + where;
}

}  // namespace simscore::io
