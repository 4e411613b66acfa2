#pragma once
// --shard K/N: the data rows whose 0-based index is K modulo N. N processes given the same input
// (GNU parallel jobs, a scheduler's array jobs) split it between them without coordinating, and
// interleaving their outputs row by row gives back the output of one process.

#include <cstddef>
#include <string>
#include <string_view>

#include "io/pair_reader.h"

namespace simscore::cli {

struct Shard {
  size_t index = 0;  // K
  size_t count = 1;  // N

  bool contains(size_t row) const { return row % count == index; }
};

// Parses "K/N" (decimal, 0 <= K < N) into `shard`; returns what is wrong with `text`, or "".
std::string parse_shard(std::string_view text, Shard& shard);

// Reads rows until one of `shard` (true) or the end of input (false). `rows_read` counts the data
// rows read so far, this call's included; rows of other shards are read past, never checked.
bool next_row_in_shard(io::PairReader& reader, const Shard& shard, size_t& rows_read, io::PairRow& row);

}  // namespace simscore::cli
