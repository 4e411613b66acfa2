#pragma once
// What `score` and `eval` share around the window loop: the run flags (--report, --quiet,
// --window, --max-memory, --longest-first), loading the model under the memory budget, and the
// report at the end.

#include <CLI/CLI.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "cli/model_options.h"
#include "cli/pair_run.h"
#include "cli/prompt_options.h"
#include "cli/run_files.h"
#include "core/encoder/bert_encoder.h"
#include "io/run_report.h"

namespace simscore::cli {

struct RunOptions {
  std::string report;       // --report FILE
  bool quiet = false;
  size_t window = 10000;
  std::string max_memory;   // e.g. "800M"; empty: no budget
  bool longest_first = false;
  PromptOptions prompts;    // --prompt, --prompt-a, --prompt-b
};

// --report joins the run's files (`files`) as "the report".
void add_run_options(CLI::App& command, RunOptions& options, RunFiles& files);

// Writes `report` to --report and summarises it on stderr unless --quiet (after the session that
// made it may be gone: eval loads one model at a time).
void publish_report(const RunOptions& run_options, const io::RunReport& report);

class ScoringSession {
 public:
  // Loads the model; under --max-memory refuses (ResourceError with the numbers) when the weights
  // or one sequence of the maximum length cannot fit, and otherwise sizes batches and windows so
  // the whole process stays within the budget.
  ScoringSession(const ModelOptions& model_options, const RunOptions& run_options);

  PairScorer& scorer() { return *scorer_; }
  const io::LoadedModel& model() const { return model_; }
  // The precision this run resolved (`--precision auto` resolved; never "auto").
  const std::string& precision() const { return precision_; }
  // Which products run in which precision (EncoderPlan::precisions), e.g. "int8" or "fp32".
  std::string product_precisions() const;
  const Prompts& prompts() const { return prompts_; }
  // Window settings for run_pairs (window rows and bytes, progress, quiet).
  PairRunOptions pair_run_options() const;

  // The report of a finished (or interrupted) run; written to --report and summarised on stderr
  // unless --quiet.
  io::RunReport report(const std::string& command, const std::string& input,
                       const PairRunCounts& counts) const;
  void publish(const io::RunReport& report) const;

 private:
  void apply_memory_budget(size_t budget);

  RunOptions run_options_;
  std::string precision_, precision_reason_;  // resolved (ModelOptions)
  io::LoadedModel model_;
  Prompts prompts_;
  std::unique_ptr<BertEncoder> encoder_;
  std::unique_ptr<PairScorer> scorer_;
  std::optional<size_t> budget_;
  size_t window_rows_ = 0;
  size_t window_bytes_ = 0;        // under --max-memory: the rows' share of the budget
  size_t row_overhead_bytes_ = 0;  // what a row costs besides its text
  int threads_ = 1;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point scoring_start_;  // when the model was loaded
};

}  // namespace simscore::cli
