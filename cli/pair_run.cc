#include "cli/pair_run.h"

#include <fmt/format.h>

#include <cmath>

#include "cli/console.h"
#include "cli/input_options.h"
#include "cli/interrupt.h"
#include "cli/progress.h"
#include "core/errors.h"
#include "io/run_report.h"

namespace simscore::cli {

size_t row_memory_bytes(const io::PairRow& row, size_t overhead) {
  size_t bytes = overhead + row.text_a.capacity() + row.text_b.capacity();
  for (const std::string& field : row.fields) bytes += field.capacity() + sizeof field;
  return bytes + (row.label ? row.label->capacity() : 0) + (row.id ? row.id->capacity() : 0);
}

PairRunCounts run_pairs(io::PairReader& reader, PairScorer& scorer, const PairRunOptions& o,
                        const WindowSink& sink) {
  PairRunCounts counts;
  Progress progress(o.progress && !o.quiet, reader.size_bytes());
  // Windows, and so --resume's window boundaries, count rows of this shard only.
  size_t rows_read = 0;
  // The scorer reports every batch; the callback must not outlive `progress`.
  scorer.set_batch_callback([&progress](size_t done, size_t total) {
    progress.update(total ? static_cast<double>(done) / static_cast<double>(total) : 1.0);
  });
  struct ClearCallback {
    PairScorer& scorer;
    ~ClearCallback() { scorer.set_batch_callback({}); }
  } clear_callback{scorer};
  bool warned_unknown = false;
  // A row that gets no score with --on-error skip: said on stderr, counted by its reason.
  const auto skip = [&](const io::PairRow& row, const io::RowProblem& problem) {
    if (!o.quiet) print_error("{}:{}: skipped: {}\n", reader.display_name(), row.line, problem.message);
    ++counts.failed;
    ++counts.failed_by_reason[io::row_failure_name(problem.reason)];
  };

  const auto problem_of = [&](const io::PairRow& row) {
    io::RowProblem problem = row_problem(row);
    if (!problem && o.extra_check) problem = o.extra_check(row);
    return problem;
  };

  std::vector<io::PairRow> rows(std::min<size_t>(o.window, 1 << 16));
  const auto window_full = [&](size_t count, size_t bytes) {
    return count == o.window || (o.window_bytes && bytes >= o.window_bytes);
  };
  // Resuming: the windows of the skipped rows are found as they were formed; the rows after the
  // last complete one start the first window.
  size_t carried = 0, carried_bytes = 0, kept = 0;
  bool more = true;
  for (size_t skipped = 0; skipped < o.skip_rows; ++skipped) {
    if (carried == rows.size()) rows.resize(std::min(o.window, rows.size() * 2));
    if (!(more = next_row_in_shard(reader, o.shard, rows_read, rows[carried]))) break;
    carried_bytes += row_memory_bytes(rows[carried++], o.row_overhead_bytes);
    if (window_full(carried, carried_bytes)) kept += carried, carried = 0, carried_bytes = 0;
  }
  if (o.resume_at) o.resume_at(kept);
  uint64_t bytes_before = reader.bytes_consumed();

  std::vector<std::optional<TextPair>> pairs;  // a window's rows; absent: the row failed
  // The prompted texts of a window; reserved up front, since `pairs` holds views into them.
  std::vector<std::string> prompted;
  const bool prompting = !o.prompt_a.empty() || !o.prompt_b.empty();
  while (more || carried) {
    size_t count = carried, bytes = carried_bytes;
    carried = carried_bytes = 0;
    while (more && !window_full(count, bytes) && !stop_requested()) {
      if (count == rows.size()) rows.resize(std::min(o.window, rows.size() * 2));
      if (!(more = next_row_in_shard(reader, o.shard, rows_read, rows[count]))) break;
      // Without --on-error skip the first bad row ends the run as soon as it is read: reading on to
      // fill the window could wait forever (the rest of an endless line, a silent pipe).
      if (!o.skip_bad_rows)
        if (const io::RowProblem problem = problem_of(rows[count]))
          throw InputError(reader.display_name(), rows[count].line, problem.message);
      bytes += row_memory_bytes(rows[count++], o.row_overhead_bytes);
    }
    if (stop_requested()) throw Interrupted();

    pairs.assign(count, std::nullopt);
    prompted.clear();
    if (prompting) prompted.reserve(2 * count);
    for (size_t i = 0; i < count; ++i) {
      const io::RowProblem problem = problem_of(rows[i]);
      if (!problem) {
        if (prompting) {
          prompted.push_back(o.prompt_a + rows[i].text_a);
          prompted.push_back(o.prompt_b + rows[i].text_b);
          pairs[i] = TextPair{prompted[prompted.size() - 2], prompted.back()};
        } else {
          pairs[i] = TextPair{rows[i].text_a, rows[i].text_b};
        }
        continue;
      }
      skip(rows[i], problem);  // only skipped rows are left here: the others failed when read
    }
    const uint64_t bytes_after = reader.bytes_consumed();
    progress.start_window(counts.rows, count, bytes_before, bytes_after);
    bytes_before = bytes_after;
    const ScoringStats before = scorer.stats();
    std::vector<std::optional<float>> scores = scorer.score(pairs);
    const size_t tokens = scorer.stats().tokens - before.tokens;
    const size_t unknown = scorer.stats().unknown_tokens - before.unknown_tokens;
    if (!warned_unknown && !o.quiet &&
        static_cast<double>(unknown) > io::kUnknownTokenWarningShare * static_cast<double>(tokens)) {
      warned_unknown = true;
      print_error("simscore: warning: {:.1f}% of this window's tokens are unknown to {}'s vocabulary "
                  "([UNK]): its scores say little about that text (e.g. Chinese through an English "
                  "model); choose a model for this language\n",
                  100.0 * static_cast<double>(unknown) / static_cast<double>(tokens), o.model_name);
    }
    for (size_t i = 0; i < count; ++i) {
      // A NaN or infinite score is never written as a number: the row fails, with the reason.
      if (!scores[i] || std::isfinite(*scores[i])) continue;
      const io::RowProblem problem(
          io::RowFailure::non_finite_score,
          fmt::format("the score is {} (the model's arithmetic overflowed on this row; try --precision fp32)",
                      *scores[i]));
      if (!o.skip_bad_rows)
        throw ModelError(fmt::format("{}:{}: {}", reader.display_name(), rows[i].line, problem.message));
      skip(rows[i], problem);
      scores[i] = std::nullopt;
    }
    sink(std::span(rows.data(), count), scores);
    counts.rows += count;
    counts.windows += count > 0;
    progress.update(1.0);
  }
  progress.finish();
  return counts;
}

}  // namespace simscore::cli
