#pragma once
// The loop `score` and `eval` share: read the input in windows, score each window in place (its
// failed rows absent), and hand every row (with its score, or none when it failed) to a sink in
// input order. Nothing here reorders: PairScorer takes the window's rows as they were read and
// writes each score at its row's position, the one place its length sort is undone. Memory depends
// on the window, never on the input's size.

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "cli/shard.h"
#include "core/scoring/pair_scorer.h"
#include "io/pair_reader.h"

namespace simscore::cli {

// Why a row the reader accepted is still unusable for a command (eval: its label); none when usable.
using RowCheck = std::function<io::RowProblem(const io::PairRow&)>;

struct PairRunOptions {
  size_t window = 10000;        // rows per window at most
  // Under --max-memory: a window also ends once its rows hold this many bytes (text and a fixed
  // cost per row, row_memory_bytes), so long rows cannot outgrow the budget; 0: no limit.
  size_t window_bytes = 0;
  size_t row_overhead_bytes = 0;  // the fixed part of a row's cost (ids, embeddings)
  bool skip_bad_rows = false;   // --on-error skip: failed rows get no score; else the first one throws
  Shard shard;                  // --shard: rows of other shards are read past, never seen by the sink
  // --resume: rows of the shard already written. They are read again to find the window
  // boundaries (the same as in an uninterrupted run, so every batch and score is the same); the
  // written rows after the last complete window are scored again.
  size_t skip_rows = 0;
  // Told, before anything is scored, how many of the skip_rows rows are kept.
  std::function<void(size_t rows_kept)> resume_at;
  bool progress = false;
  bool quiet = false;
  RowCheck extra_check;
  std::string model_name;  // for the warning when a window's text is mostly unknown tokens
  std::string prompt_a, prompt_b;  // put before every first / second text before it is encoded
};

struct PairRunCounts {
  size_t rows = 0;    // rows of the shard read (failed ones included, resumed ones excluded)
  size_t failed = 0;
  std::map<std::string, size_t> failed_by_reason;  // by io::row_failure_name
  size_t windows = 0;
  size_t resumed = 0;  // --resume: rows kept from FILE.partial, not read for scoring again
};

// The rows of one window and their scores (nullopt: the row failed), in input order.
using WindowSink =
    std::function<void(std::span<const io::PairRow> rows, std::span<const std::optional<float>> scores)>;

// Throws InputError for the first bad row unless skip_bad_rows; Interrupted when asked to stop (the
// windows before it have reached the sink).
PairRunCounts run_pairs(io::PairReader& reader, PairScorer& scorer, const PairRunOptions& options,
                        const WindowSink& sink);

// What a row costs while its window is held: its strings, and `overhead` for what scoring adds.
size_t row_memory_bytes(const io::PairRow& row, size_t overhead);

}  // namespace simscore::cli
