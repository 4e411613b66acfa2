#include "cli/scoring_session.h"

#include <fmt/format.h>
#include <unistd.h>

#include "cli/blas_setup.h"
#include "cli/console.h"
#include "cli/interrupt.h"
#include "cli/number_check.h"
#include "core/cpu/isa.h"
#include "core/errors.h"
#include "core/ops/gemm.h"
#include "core/scoring/memory_plan.h"
#include "io/process_memory.h"

namespace simscore::cli {
namespace {

// The layer matrices' type as the products hold them: int8 for int8 runs (the FFN output's own
// type where it runs in fp32), else the storage.
std::string weight_dtype(const BertEncoder& encoder) {
  const EncoderPlan& plan = encoder.plan();
  const std::string storage(dtype_name(plan.storage()));
  if (plan.backend().precision != ComputePrecision::int8) return storage;
  return ffn_output_backend(plan.backend()).precision == ComputePrecision::int8 ? "int8"
                                                                                 : "int8 (FFN output " + storage + ")";
}

constexpr double kMiB = 1024.0 * 1024.0;
// Memory the budget keeps back for what is not planned exactly: BLAS packing buffers, the allocator's
// slack, stdio buffers. Measured peaks stay below the budget with this margin (bench/memory.py).
constexpr size_t kUnplannedBytes = size_t{24} << 20;

}  // namespace

void add_run_options(CLI::App& command, RunOptions& o, RunFiles& files) {
  files.add_output(command, "--report", o.report, "Write a JSON report of the run here (fields: docs/usage.md)",
                   "the report");
  command.add_flag("--quiet,-q", o.quiet, "Print nothing but errors on stderr");
  command.add_option("--window", o.window,
                     "Rows read, scored and written at a time (default 10000): memory does not grow "
                     "with the input")
      ->check(whole_number())
      ->check(CLI::Range(size_t{1}, size_t{1} << 26));
  command.add_option("--max-memory", o.max_memory,
                     "Keep the whole process under this much memory, e.g. 800M or 2G (batches and "
                     "windows are sized to fit; refused up front if the model cannot fit)");
  command.add_flag("--longest-first", o.longest_first,
                   "Run each window's longest batch first, so a budget too large fails at once");
  add_prompt_options(command, o.prompts);
}

ScoringSession::ScoringSession(const ModelOptions& model_options, const RunOptions& run_options)
    : run_options_(run_options), precision_(model_options.precision), precision_reason_(model_options.precision_reason) {
  const ProductBackend backend = product_backend(model_options);
  if (!run_options.max_memory.empty()) {
    budget_ = io::parse_size(run_options.max_memory);
    if (!budget_)
      throw CLI::ValidationError("--max-memory", "expected a size such as 800M or 2G, got \"" +
                                                     run_options.max_memory + "\"");
    // Refuse before reading any weights when they alone cannot fit.
    const auto dir = resolve_model_dir(model_options.model);
    const EncoderConfig config = io::read_encoder_config(dir / "config.json");
    const DType storage = storage_precision(model_options);
    const EncoderPlan plan(config,
                           weight_shapes(config, storage, false, 0, backend.precision == ComputePrecision::int8,
                                         backend.int8_ffn_output),
                           backend, 1);
    const size_t weights = weight_bytes(plan);
    const size_t baseline = io::resident_bytes();
    if (weights + baseline + kUnplannedBytes > *budget_)
      throw ResourceError(fmt::format(
          "--max-memory {} ({:.0f} MiB) cannot hold this model: its weights alone need {:.0f} MiB "
          "in {}, plus {:.0f} MiB for the program itself{}",
          run_options.max_memory, *budget_ / kMiB, weights / kMiB,
          plan.backend().precision == ComputePrecision::int8 ? "int8" : dtype_name(storage),
          (baseline + kUnplannedBytes) / kMiB,
          storage == DType::f32 ? "; --precision fp16 halves the weights" : ""));
  }
  model_ = load_model(model_options);
  prompts_ = resolve_prompts(run_options.prompts, model_.dir, model_.scoring.mode == ScoringMode::cross);
  if (model_options.verbose)
    fmt::print(stderr, "prompts      a \"{}\", b \"{}\" ({})\n", prompts_.a, prompts_.b, prompts_.source);
  threads_ = compute_threads();
  // Each layer's matrices held as prepacked copies go as soon as their products are built.
  encoder_ = std::make_unique<BertEncoder>(model_.config, model_.weights,
                                           EncoderPlan(model_.config, model_.weights, backend, threads_),
                                           &model_.weights);
  // The kernel each product precision of this run actually uses (as the report's cpu.gemm_kernel).
  if (model_options.verbose) print_error("gemm kernel  {}\n", encoder_->kernel_description());
  scorer_ = std::make_unique<PairScorer>(
      *model_.tokenizer, *encoder_, model_.scoring,
      BatchPolicy{model_options.max_batch_tokens, run_options.longest_first, stop_requested});
  if (budget_) apply_memory_budget(*budget_);
  scoring_start_ = std::chrono::steady_clock::now();
}

void ScoringSession::apply_memory_budget(size_t budget) {
  const size_t used = io::resident_bytes();
  const size_t max_length = model_.scoring.max_length;
  const EncoderPlan& plan = encoder_->plan();
  const size_t one_sequence = plan.arena_bytes(max_length, max_length);
  if (used + kUnplannedBytes + one_sequence > budget)
    throw ResourceError(fmt::format(
        "--max-memory {:.0f} MiB is too small: the loaded model takes {:.0f} MiB, one sequence of "
        "{} tokens needs a {:.1f} MiB activation arena, and {:.0f} MiB are kept for buffers; at least "
        "{:.0f} MiB is needed (or lower --max-length)",
        budget / kMiB, used / kMiB, max_length, one_sequence / kMiB, kUnplannedBytes / kMiB,
        (used + kUnplannedBytes + one_sequence) / kMiB + 1));
  // What is left is shared: a quarter (at most 64 MiB) for the rows of a window, the rest for the
  // activation arena, whose size fixes the batch. A row costs its text as read (any length up to
  // the reader's 1 MiB line limit: run_pairs ends a window when its rows' bytes reach the share),
  // plus the ids of two texts of max_length tokens and two embeddings. The row count is a bound
  // too, for rows of about 4 bytes of text per token.
  const size_t free = budget - used - kUnplannedBytes;
  const size_t window_bytes = std::min<size_t>(free / 4, size_t{64} << 20);
  row_overhead_bytes_ = 2 * max_length * 8 + 2 * model_.config.hidden_size * sizeof(float) + 512;
  const size_t row_bytes = row_overhead_bytes_ + 2 * max_length * 4;
  window_rows_ = std::max<size_t>(1, std::min(run_options_.window, window_bytes / row_bytes));
  // A window ends once its rows reach the share, so the last row may pass it: room for one row of
  // the longest line is kept back.
  window_bytes_ = window_bytes > (size_t{3} << 20) ? window_bytes - (size_t{3} << 20) : 1;
  const size_t tokens =
      max_batch_tokens_within(plan, free - window_bytes, max_length);
  // One sequence of max_length always runs (it was checked to fit above), even when the arena's
  // share rounds to fewer tokens: the report then says what ran.
  scorer_->set_max_batch_tokens(std::min(std::max(tokens, max_length), scorer_->policy().max_batch_tokens));
}

std::string ScoringSession::product_precisions() const { return encoder_->plan().precisions(); }

PairRunOptions ScoringSession::pair_run_options() const {
  PairRunOptions o;
  o.window = window_rows_ ? window_rows_ : run_options_.window;
  o.window_bytes = window_bytes_;
  o.row_overhead_bytes = row_overhead_bytes_;
  o.quiet = run_options_.quiet;
  o.progress = isatty(STDERR_FILENO);
  o.model_name = model_.name;
  o.prompt_a = prompts_.a;
  o.prompt_b = prompts_.b;
  return o;
}

io::RunReport ScoringSession::report(const std::string& command, const std::string& input,
                                     const PairRunCounts& counts) const {
  const ScoringStats& stats = scorer_->stats();
  // Rates are over the scoring time: loading the model is a fixed cost, reported as its own stage.
  const double load_seconds = std::chrono::duration<double>(scoring_start_ - start_).count();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - scoring_start_).count();
  io::RunReport r;
  r.command = command;
  r.input = input;
  r.rows = counts.rows + counts.resumed;
  r.resumed_rows = counts.resumed;
  r.rows_failed = counts.failed;
  r.rows_failed_by_reason = counts.failed_by_reason;
  r.precision = precision_;
  r.precision_reason = precision_reason_;
  r.mode = model_.scoring.mode == ScoringMode::bi ? "bi" : "cross";
  r.prompts = {prompts_.a, prompts_.b, prompts_.source};
  r.model = {model_.name,
             model_.dir.string(),
             model_.tensor_layout,
             model_.config.num_layers,
             model_.config.hidden_size,
             model_.weights.parameters(),
             weight_dtype(*encoder_),
             model_.scoring.max_length};
  r.memory.peak_rss_bytes = io::peak_resident_bytes();
  r.memory.weights_bytes = encoder_->plan().weights_bytes();
  r.memory.prepacked_bytes = encoder_->plan().packed_bytes();
  r.memory.arena_bytes = scorer_->workspace().bytes();
  r.memory.arena_peak_bytes = scorer_->workspace().peak_bytes();
  r.memory.budget_bytes = budget_;
  r.batching.batches = stats.batches;
  r.batching.max_batch_tokens = scorer_->policy().max_batch_tokens;
  r.batching.sequences = stats.sequences;
  r.batching.real_tokens = stats.tokens;
  r.tokens.total = stats.tokens;
  r.tokens.unknown = stats.unknown_tokens;
  r.batching.padded_tokens = stats.tokens;  // packed batches: no padding token is computed
  r.batching.padded_tokens_if_padded = stats.padded_tokens;
  r.batching.encodings_saved = stats.encodings_saved;
  r.batching.window_rows = window_rows_ ? window_rows_ : run_options_.window;
  r.throughput.seconds = seconds;
  const double scored = static_cast<double>(counts.rows - counts.failed);  // this run's rows
  r.throughput.pairs_per_second = seconds > 0 ? scored / seconds : 0;
  r.throughput.tokens_per_second = seconds > 0 ? stats.tokens / seconds : 0;
  const double mean_length = stats.sequences ? static_cast<double>(stats.tokens) / stats.sequences : 0;
  const double flops = encoder_->plan().flops(static_cast<double>(stats.tokens), mean_length);
  r.throughput.gflops = seconds > 0 ? flops / seconds / 1e9 : 0;
  r.cpu.gemm_kernel = encoder_->kernel_description();
  r.cpu.blas_kernel = openblas_kernel_name() + "; " + blas_kernel_note();
  r.cpu.bf16_products = bf16_support().description;
  r.cpu.kernel_isa = cpu_isa_name(cpu_isa());
  r.cpu.wait_policy = wait_policy_note();
  r.cpu.threads = threads_;
  const EncoderTimings& t = encoder_->timings();
  r.stage_seconds = {{"load", load_seconds}, {"tokenize", stats.tokenize_seconds}, {"encode", stats.encode_seconds},
                     {"encode.matrix_products", t.matmul_seconds}, {"encode.attention", t.attention_seconds},
                     {"encode.other", t.other_seconds}};
  if (std::string warning = io::unknown_token_warning(r); !warning.empty()) r.warnings.push_back(warning);
  return r;
}

void publish_report(const RunOptions& run_options, const io::RunReport& report) {
  if (!run_options.report.empty()) io::write_report(run_options.report, report);
  if (!run_options.quiet) print_error("{}", io::summary(report));
}

void ScoringSession::publish(const io::RunReport& report) const { publish_report(run_options_, report); }

}  // namespace simscore::cli
