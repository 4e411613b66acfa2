#include "io/run_report.h"

#include <fmt/format.h>

#include "io/output_file.h"

namespace simscore::io {

nlohmann::json to_json(const RunReport& r) {
  using nlohmann::json;
  const auto& b = r.batching;
  json report = {
      {"command", r.command},
      {"input", r.input},
      {"rows", r.rows},
      {"resumed_rows", r.resumed_rows},
      {"rows_failed", r.rows_failed},
      {"rows_failed_by_reason", r.rows_failed_by_reason},
      {"precision", r.precision},
      {"precision_reason", r.precision_reason},
      {"mode", r.mode},
      {"prompts", {{"a", r.prompts.a}, {"b", r.prompts.b}, {"source", r.prompts.source}}},
      {"model",
       {{"name", r.model.name},
        {"path", r.model.path},
        {"architecture", r.model.architecture},
        {"layers", r.model.layers},
        {"hidden_size", r.model.hidden_size},
        {"parameters", r.model.parameters},
        {"weight_dtype", r.model.weight_dtype},
        {"max_length", r.model.max_length}}},
      {"memory",
       {{"peak_rss_bytes", r.memory.peak_rss_bytes},
        {"weights_bytes", r.memory.weights_bytes},
        {"prepacked_bytes", r.memory.prepacked_bytes},
        {"arena_bytes", r.memory.arena_bytes},
        {"arena_peak_bytes", r.memory.arena_peak_bytes},
        {"budget_bytes", r.memory.budget_bytes ? json(*r.memory.budget_bytes) : json(nullptr)}}},
      {"batching",
       {{"batches", b.batches},
        {"max_batch_tokens", b.max_batch_tokens},
        {"sequences", b.sequences},
        {"real_tokens", b.real_tokens},
        {"padded_tokens", b.padded_tokens},
        {"padding_efficiency",
         b.padded_tokens ? static_cast<double>(b.real_tokens) / b.padded_tokens : 1.0},
        {"padded_tokens_if_padded", b.padded_tokens_if_padded},
        {"encodings_saved", b.encodings_saved},
        {"window_rows", b.window_rows}}},
      {"tokens",
       {{"total", r.tokens.total},
        {"unknown", r.tokens.unknown},
        {"unknown_fraction",
         r.tokens.total ? static_cast<double>(r.tokens.unknown) / r.tokens.total : 0.0}}},
      {"throughput",
       {{"seconds", r.throughput.seconds},
        {"pairs_per_second", r.throughput.pairs_per_second},
        {"tokens_per_second", r.throughput.tokens_per_second},
        {"gflops", r.throughput.gflops}}},
      {"cpu",
       {{"gemm_kernel", r.cpu.gemm_kernel},
        {"blas_kernel", r.cpu.blas_kernel},
        {"bf16_products", r.cpu.bf16_products},
        {"kernel_isa", r.cpu.kernel_isa},
        {"wait_policy", r.cpu.wait_policy},
        {"threads", r.cpu.threads}}},
      {"stage_seconds", r.stage_seconds},
  };
  if (!r.metrics.is_null()) report["metrics"] = r.metrics;
  if (!r.systems.is_null()) report["systems"] = r.systems;
  if (!r.comparisons.is_null()) report["comparisons"] = r.comparisons;
  if (!r.bootstrap.is_null()) report["bootstrap"] = r.bootstrap;
  report["warnings"] = r.warnings;
  return report;
}

std::string unknown_token_warning(const RunReport& r) {
  if (!r.tokens.total) return "";
  const double share = static_cast<double>(r.tokens.unknown) / static_cast<double>(r.tokens.total);
  if (share <= kUnknownTokenWarningShare) return "";
  return fmt::format("{:.1f}% of the tokens are unknown to {}'s vocabulary: its scores of this text say little",
                     100 * share, r.model.name);
}

void write_report(const std::string& path, const RunReport& report) {
  OutputFile out(path);
  out.write(to_json(report).dump(2));
  out.write("\n");
  out.commit();
}

std::string summary(const RunReport& r) {
  constexpr double kMiB = 1024.0 * 1024.0;
  const auto load = r.stage_seconds.find("load");
  std::string s = fmt::format(
      "simscore: {} rows ({} failed{}) scored in {:.2f} s{}: {:.1f} pairs/s, {:.0f} tokens/s, {:.1f} GFLOP/s\n",
      r.rows, r.rows_failed,
      r.resumed_rows ? fmt::format("; resumed: {} kept from the interrupted run", r.resumed_rows) : "",
      r.throughput.seconds,
      load == r.stage_seconds.end() ? "" : fmt::format(" after {:.2f} s loading the model", load->second),
      r.throughput.pairs_per_second, r.throughput.tokens_per_second, r.throughput.gflops);
  s += fmt::format("simscore: peak RSS {:.1f} MiB (weights {:.1f} MiB {}, activation arena {:.1f} MiB){}\n",
                   r.memory.peak_rss_bytes / kMiB, r.memory.weights_bytes / kMiB, r.model.weight_dtype,
                   r.memory.arena_bytes / kMiB,
                   r.memory.budget_bytes ? fmt::format(", budget {:.1f} MiB", *r.memory.budget_bytes / kMiB) : "");
  s += fmt::format("simscore: {} {}, {} {} saved by de-duplication; gemm: {}\n", r.batching.batches,
                   r.batching.batches == 1 ? "batch" : "batches", r.batching.encodings_saved,
                   r.batching.encodings_saved == 1 ? "encoding" : "encodings", r.cpu.gemm_kernel);
  return s;
}

}  // namespace simscore::io
