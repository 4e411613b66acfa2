#pragma once
// The process's memory as the kernel sees it: resident now, and the high-water mark that
// /usr/bin/time -v reports as "Maximum resident set size".

#include <cstddef>
#include <optional>
#include <string>

namespace simscore::io {

size_t resident_bytes();
size_t peak_resident_bytes();

// "800M", "2G", "1.5GiB", "123456" (bytes; K/M/G/T are powers of 1024) -> bytes; nullopt if malformed.
std::optional<size_t> parse_size(const std::string& text);

}  // namespace simscore::io
