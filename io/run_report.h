#pragma once
// The run report: what ran, where the memory went, how batching went and how fast it was, written
// as JSON (--report FILE) and as a short human summary on stderr. docs/usage.md documents every
// field.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace simscore::io {

struct RunReport {
  std::string command;  // "score", "eval"
  std::string input;
  size_t rows = 0;          // every row of the output, those kept by --resume included
  size_t resumed_rows = 0;  // --resume: rows kept from FILE.partial, scored by the interrupted run
  size_t rows_failed = 0;
  std::map<std::string, size_t> rows_failed_by_reason;
  std::string precision;         // what ran (never "auto")
  std::string precision_reason;  // "auto: int8 (AVX2 host: ...)" or "given (--precision fp16)"
  std::string mode;
  struct Prompts {
    std::string a, b;    // put before every first / second text ("" for none)
    std::string source;  // "command line", the model's config_sentence_transformers.json, or "none"
  } prompts;

  struct Model {
    std::string name, path, architecture;
    int layers = 0, hidden_size = 0;
    size_t parameters = 0;
    std::string weight_dtype;
    size_t max_length = 0;
  } model;

  struct Memory {
    size_t peak_rss_bytes = 0;   // the process high-water mark (getrusage ru_maxrss)
    size_t weights_bytes = 0;    // as stored
    size_t prepacked_bytes = 0;  // the products' prepacked weight copies, on top of weights_bytes
    size_t arena_bytes = 0;      // activation arena reserved
    size_t arena_peak_bytes = 0; // of which the largest batch used
    std::optional<size_t> budget_bytes;
  } memory;

  struct Batching {
    size_t batches = 0;
    size_t max_batch_tokens = 0;
    size_t real_tokens = 0;
    size_t padded_tokens = 0;         // tokens the encoder computed (packed: no padding)
    size_t padded_tokens_if_padded = 0;  // what a padding batcher would compute: batch x longest
    size_t sequences = 0;
    size_t encodings_saved = 0;
    size_t window_rows = 0;
  } batching;

  struct Tokens {
    size_t total = 0;    // real tokens encoded, special tokens included
    size_t unknown = 0;  // of which the unknown token: text the model's vocabulary does not cover
  } tokens;

  struct Throughput {
    double seconds = 0;
    double pairs_per_second = 0;
    double tokens_per_second = 0;
    double gflops = 0;  // useful FLOPs on real tokens / wall time
  } throughput;

  struct Cpu {
    std::string gemm_kernel;    // what runs the encoder's products, in which precision, and why
    std::string blas_kernel;    // OpenBLAS's core type and who chose it (fallback backend, heads)
    std::string bf16_products;  // AMX, AVX512-BF16 or none
    std::string kernel_isa;     // the instruction set simscore's own kernels run (core/cpu/isa.h)
    std::string wait_policy;    // libgomp's OMP_WAIT_POLICY and who chose it
    int threads = 0;
  } cpu;

  std::map<std::string, double> stage_seconds;  // tokenize, encode, ...
  nlohmann::json metrics;                        // eval only: the first system's
  nlohmann::json systems;      // eval only: every system's metrics and intervals (null: left out)
  nlohmann::json comparisons;  // eval only: each pair's differences and McNemar p-value
  nlohmann::json bootstrap;    // eval only: resamples, seed, confidence, rows
  // Things the reader of the numbers must know (a high unknown-token share, optimistic thresholds,
  // rows a system failed on): in the JSON report and on the HTML page.
  std::vector<std::string> warnings;
};

// The unknown-token share above which a run's text is mostly outside the model's vocabulary and
// its scores say little (the per-window warning on stderr uses it too).
inline constexpr double kUnknownTokenWarningShare = 0.05;
// The warning for that, or "" below the share.
std::string unknown_token_warning(const RunReport& report);

nlohmann::json to_json(const RunReport& report);
// Writes the JSON report atomically (temporary file, then rename).
void write_report(const std::string& path, const RunReport& report);
// A few lines for stderr.
std::string summary(const RunReport& report);

}  // namespace simscore::io
