#include "cli/model_options.h"

#include <fmt/format.h>
#include <sched.h>

#include <cstdlib>

#include "cli/blas_setup.h"
#include "core/cpu/isa.h"
#include "core/ops/auto_precision.h"
#include "cli/console.h"
#include "cli/number_check.h"
#include "core/errors.h"
#include "core/ops/gemm.h"
#include "core/ops/linear_block.h"
#include "core/scoring/pooling.h"

namespace simscore::cli {
namespace fs = std::filesystem;

CLI::Validator model_spec_given() {
  return CLI::Validator(
      [](std::string& value) {
        return value.empty() ? std::string("is empty: give a model directory or ORG/NAME (leave --model out for the default)")
                             : std::string();
      },
      "");
}

void add_model_options(CLI::App& command, ModelOptions& o) {
  command.add_option("--model,-m", o.model,
                     "Model directory, or ORG/NAME[@REVISION] from the HuggingFace or ModelScope cache "
                     "(default: $SIMSCORE_MODEL, else all-MiniLM-L6-v2 beside the executable)")
      ->check(model_spec_given());
  command.add_option("--precision", o.precision,
                     "auto (default: the precision measured best for this CPU's instruction-set class; "
                     "-v says which and why), fp16 (products in fp32), fp32, bf16 (products on "
                     "AMX / AVX512-BF16 with fp32 sums; fp32 products where the CPU has neither), or "
                     "int8 (fp16 storage, products in int8 with per-row weight and per-token input "
                     "scales)")
      ->check(CLI::IsMember(precision_choices()));
  command.add_option("--int8-ffn-output", o.int8_ffn_output,
                     "With --precision int8: int8 (default) or fp32, the FFN output product (its input is "
                     "the GELU output) in fp32 from fp16 weights: slightly closer to fp32, larger and slower")
      ->check(CLI::IsMember({"int8", "fp32"}));
  command.add_option("--mode", o.mode,
                     "bi (cosine of pooled embeddings) or cross (classifier on the pair); default: "
                     "from the model directory")
      ->check(CLI::IsMember({"bi", "cross"}));
  command.add_option("--max-length", o.max_length,
                     "Maximum tokens per encoded input, special tokens included (default: from the "
                     "model directory)")
      ->check(whole_number())
      ->check(CLI::Range(size_t{3}, size_t{1} << 20));
  command.add_option("--threads", o.threads, "Compute threads (default: all available CPUs)")
      ->check(whole_number())
      ->check(CLI::Range(1, 1024));
  command.add_option("--max-batch-tokens", o.max_batch_tokens,
                     "Real tokens per encoder batch (default 2048)")
      ->check(whole_number())
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));  // 2^20 tokens: an arena of about 16 GiB for BERT-base
  command.add_flag("--verbose,-v", o.verbose, "Describe the model and settings on stderr");
  read_gemm_backend_on_parse(command, o.gemm, &o.precision, &o.precision_reason);
}

std::vector<std::string> precision_names() {
  std::vector<std::string> names;
  for (RunPrecision p : kRunPrecisions) names.emplace_back(run_precision_name(p));
  return names;
}

std::vector<std::string> precision_choices() {
  std::vector<std::string> names{"auto"};
  for (std::string& name : precision_names()) names.push_back(std::move(name));
  return names;
}

void read_gemm_backend_on_parse(CLI::App& command, GemmBackend& into, std::string* precision,
                                std::string* precision_reason) {
  // oneDNN, with fp16 and fp32 weights used as stored (widened a block of about 4 MiB at a time, so
  // they cost their storage size and no more) and bf16 weights prepacked for native bf16 products.
  // SIMSCORE_GEMM overrides (docs/performance.md "Speed").
  command.parse_complete_callback([&into, precision, precision_reason] {
    into = GemmBackend::onednn;
    const char* env = std::getenv("SIMSCORE_GEMM");
    const std::string name = env ? env : "";
    if (name == "onednn-prepacked")
      into = GemmBackend::onednn_prepacked;
    else if (name == "openblas")
      into = GemmBackend::openblas;
    else if (!name.empty() && name != "onednn")
      throw CLI::ValidationError("SIMSCORE_GEMM", "must be onednn, onednn-prepacked or openblas, not \"" +
                                                      name + "\"");
    if (!precision) return;
    const ResolvedPrecision resolved = resolve_precision(*precision, into);
    *precision = run_precision_name(resolved.precision);
    if (precision_reason) *precision_reason = resolved.reason;
  });
}

namespace {

// The default model beside the executable: <prefix>/bin/simscore with
// <prefix>/share/simscore/models/ when installed, build/cli/simscore with <source>/models/ in a
// build tree. Never a path compiled in: a copied or installed binary must not depend on the
// source tree.
std::vector<fs::path> default_model_candidates() {
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (error) return {};
  const fs::path bin = exe.parent_path();
  return {(bin / "../share/simscore/models/all-MiniLM-L6-v2").lexically_normal(),
          (bin / "../../models/all-MiniLM-L6-v2").lexically_normal()};
}

}  // namespace

io::LocatedModel locate_model_dir(const std::string& flag) {
  const io::ModelCaches caches = io::model_caches_from_environment();
  if (!flag.empty()) return io::locate_model(flag, caches);
  if (const char* env = std::getenv("SIMSCORE_MODEL"); env && *env) {
    try {
      return io::locate_model(env, caches);
    } catch (const ModelError& e) {
      throw ModelError(fmt::format("$SIMSCORE_MODEL: {}", e.what()));
    }
  }
  const std::vector<fs::path> candidates = default_model_candidates();
  std::string places;
  for (const auto& dir : candidates) {
    if (fs::is_regular_file(dir / "config.json")) return {dir, ""};
    places += "\n  " + dir.string();
  }
  throw ModelError(fmt::format(
      "no --model given, $SIMSCORE_MODEL is unset, and the default model all-MiniLM-L6-v2 is not "
      "beside the executable; looked in:{}\nInstall simscore with its model, run "
      "scripts/fetch_default_model.sh in a build tree, or give --model",
      places.empty() ? "\n  (the executable's path is unknown: /proc/self/exe)" : places));
}

fs::path resolve_model_dir(const std::string& flag) { return locate_model_dir(flag).dir; }

DType storage_precision(const ModelOptions& o) {
  return o.precision == "fp32" ? DType::f32 : o.precision == "bf16" ? DType::bf16 : DType::f16;
}

Quantization quantization(const ModelOptions& o) {
  return o.precision == "int8" ? Quantization::int8 : Quantization::none;
}

Int8FfnOutput int8_ffn_output(const ModelOptions& o) {
  if (o.int8_ffn_output.empty()) return Int8FfnOutput::int8;
  if (quantization(o) != Quantization::int8)
    throw CLI::ValidationError("--int8-ffn-output", "needs --precision int8 (this run's precision is " +
                                                        o.precision + ", with no int8 products)");
  return o.int8_ffn_output == "fp32" ? Int8FfnOutput::fp32 : Int8FfnOutput::int8;
}

ProductBackend product_backend(const ModelOptions& o) {
  return ProductBackend::for_storage(o.gemm, storage_precision(o), quantization(o), int8_ffn_output(o));
}

io::LoadedModel load_model(const ModelOptions& o) {
  int threads = o.threads;
  if (threads == 0) {
    cpu_set_t cpus;
    threads = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
  }
  set_compute_threads(threads);
  if (compute_threads() != threads)
    print_error("simscore: --threads {}: this build runs at most {} threads; using {}\n", threads,
                compute_threads(), compute_threads());

  io::ModelLoadOptions load;
  load.precision = storage_precision(o);
  const ProductBackend backend = product_backend(o);
  load.int8_products = backend.precision == ComputePrecision::int8;
  load.int8_ffn_output = backend.int8_ffn_output;
  if (quantization(o) == Quantization::int8 && backend.precision != ComputePrecision::int8)
    fmt::print(stderr, "simscore: --precision int8 needs a oneDNN backend, not SIMSCORE_GEMM=openblas; "
               "weights stay fp16 and products run in fp32\n");
  if (load.precision == DType::bf16 && backend.precision != ComputePrecision::bf16)
    print_error("simscore: --precision bf16: no native bf16 products here ({}); weights stay "
               "bf16 and products run in fp32\n", bf16_support().description);
  if (!o.mode.empty()) load.mode = o.mode == "bi" ? ScoringMode::bi : ScoringMode::cross;
  if (o.max_length) load.max_length = o.max_length;
  const io::LocatedModel located = locate_model_dir(o.model);
  io::LoadedModel model = io::load_model(located.dir, load);
  if (!located.id.empty()) model.name = located.id;

  if (o.verbose) {
    const auto& c = model.config;
    const auto& s = model.scoring;
    print_error("model        {} ({})\n",
                located.id.empty() ? model.dir.string() : located.id + " in " + model.dir.string(),
                model.tensor_layout);
    print_error("encoder      {} layers, hidden {}, {} heads, FFN {}, {} parameters\n",
               c.num_layers, c.hidden_size, c.num_heads, c.intermediate_size,
               model.weights.parameters());
    print_error("precision    {}: {}\n", o.precision, o.precision_reason);
    print_error("weights      {} in memory, {:.1f} MiB\n",
                load.int8_products ? "int8 (the layer matrices int8 products multiply; the rest fp16)"
                                   : dtype_name(model.weights.storage),
                model.weights.bytes() / 1048576.0);
    print_error("mode         {} ({})\n", s.mode == ScoringMode::bi ? "bi" : "cross",
               model.mode_source);
    if (s.mode == ScoringMode::bi)
      print_error("pooling      {}{}\n", pooling_name(s.pooling),
                 s.normalize ? ", normalized" : "");
    print_error("max length   {} ({})\n", s.max_length, model.max_length_source);
    print_error("tokenizer    {}\n", model.tokenizer_kind);
    print_error("threads      {}; waiting threads: {}\n", threads, wait_policy_note());
    // OpenBLAS's kernel (the scoring heads' small products); ScoringSession then names the
    // encoder's own products' kernel (`gemm kernel`), once they are built.
    print_error("blas kernel  {}\n", blas_kernel_note());
    print_error("bf16 products {}\n", bf16_support().description);
    print_error("kernel isa   {}\n", cpu_isa_name(cpu_isa()));
  }
  return model;
}

}  // namespace simscore::cli
