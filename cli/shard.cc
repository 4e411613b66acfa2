#include "cli/shard.h"

#include <fmt/format.h>

#include <charconv>

namespace simscore::cli {
namespace {

bool parse_count(std::string_view text, size_t& value) {
  if (text.empty() || text.size() > 18) return false;  // digits only: no sign, no spaces, no overflow
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string parse_shard(std::string_view text, Shard& shard) {
  const size_t slash = text.find('/');
  size_t index = 0, count = 0;
  if (slash == std::string_view::npos || !parse_count(text.substr(0, slash), index) ||
      !parse_count(text.substr(slash + 1), count))
    return fmt::format("expected K/N (this process takes the rows whose 0-based index is K modulo N, "
                       "e.g. 0/4 for the first of four shards), got \"{}\"",
                       text);
  if (count == 0) return fmt::format("\"{}\": the number of shards N must be at least 1", text);
  if (index >= count)
    return fmt::format("\"{}\": shards are numbered 0 to N-1, so K must be less than N", text);
  shard = {index, count};
  return "";
}

bool next_row_in_shard(io::PairReader& reader, const Shard& shard, size_t& rows_read, io::PairRow& row) {
  while (reader.next(row))
    if (shard.contains(rows_read++)) return true;
  return false;
}

}  // namespace simscore::cli
