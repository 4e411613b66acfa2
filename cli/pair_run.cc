#include "cli/pair_run.h"

#include <fmt/format.h>

#include "cli/input_options.h"
#include "cli/interrupt.h"
#include "cli/progress.h"
#include "core/errors.h"

namespace simscore::cli {

std::string failure_reason(const std::string& problem) {
  const std::pair<const char*, const char*> reasons[] = {
      {"expected at least", "column_count"}, {"missing key", "column_count"},
      {"invalid UTF-8", "invalid_utf8"},     {"NUL", "nul_byte"},
      {"empty line", "empty_line"},          {"longer than", "line_too_long"},
      {"text is empty", "empty_text"},       {"JSON", "invalid_json"},
      {"label", "bad_label"},
  };
  for (const auto& [needle, reason] : reasons)
    if (problem.find(needle) != std::string::npos) return reason;
  return "other";
}

PairRunCounts run_pairs(io::PairReader& reader, PairScorer& scorer, const PairRunOptions& o,
                        const WindowSink& sink) {
  PairRunCounts counts;
  Progress progress(o.progress && !o.quiet, reader.size_bytes());
  // Windows, and so --resume's window boundaries, count rows of this shard only.
  size_t rows_read = 0;
  io::PairRow row;
  for (size_t skipped = 0; skipped < o.skip_rows && next_row_in_shard(reader, o.shard, rows_read, row);
       ++skipped) {
  }

  std::vector<io::PairRow> rows(std::min<size_t>(o.window, 1 << 16));
  std::vector<TextPair> pairs;
  std::vector<std::optional<float>> scores;
  // The prompted texts of a window; reserved up front, since `pairs` holds views into them.
  std::vector<std::string> prompted;
  const bool prompting = !o.prompt_a.empty() || !o.prompt_b.empty();
  for (bool more = true; more;) {
    size_t count = 0;
    while (count < o.window && !stop_requested()) {
      if (count == rows.size()) rows.resize(std::min(o.window, rows.size() * 2));
      if (!(more = next_row_in_shard(reader, o.shard, rows_read, rows[count]))) break;
      ++count;
    }
    if (stop_requested()) throw Interrupted();

    pairs.clear();
    prompted.clear();
    if (prompting) prompted.reserve(2 * count);
    scores.assign(count, std::nullopt);
    std::vector<size_t> scored;
    for (size_t i = 0; i < count; ++i) {
      std::string problem = row_problem(rows[i]);
      if (problem.empty() && o.extra_check) problem = o.extra_check(rows[i]);
      if (problem.empty()) {
        if (prompting) {
          prompted.push_back(o.prompt_a + rows[i].text_a);
          prompted.push_back(o.prompt_b + rows[i].text_b);
          pairs.push_back({prompted[prompted.size() - 2], prompted.back()});
        } else {
          pairs.push_back({rows[i].text_a, rows[i].text_b});
        }
        scored.push_back(i);
        continue;
      }
      if (!o.skip_bad_rows) throw InputError(reader.display_name(), rows[i].line, problem);
      if (!o.quiet) fmt::print(stderr, "{}:{}: skipped: {}\n", reader.display_name(), rows[i].line, problem);
      ++counts.failed;
      ++counts.failed_by_reason[failure_reason(problem)];
    }
    const std::vector<float> window_scores = scorer.score(pairs);
    for (size_t k = 0; k < scored.size(); ++k) scores[scored[k]] = window_scores[k];
    sink(std::span(rows.data(), count), scores);
    counts.rows += count;
    counts.windows += count > 0;
    progress.update(counts.rows, reader.bytes_read());
  }
  progress.finish();
  return counts;
}

}  // namespace simscore::cli
