// simscore inspect: what a model directory holds and what running it would cost. The model is
// loaded exactly as `score` loads it (every tensor read and checked), so inspect refuses what score
// refuses.

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sched.h>

#include <algorithm>
#include <map>
#include <memory>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/model_options.h"
#include "cli/number_check.h"
#include "cli/run_files.h"
#include "core/encoder/encoder_plan.h"
#include "core/model/weights.h"
#include "core/ops/precision.h"
#include "core/scoring/pooling.h"
#include "io/bert_weights.h"
#include "io/model_dir.h"
#include "io/tensor_source.h"
#include "io/tokenizer_files.h"

namespace simscore::cli {
namespace {

struct InspectOptions {
  std::string model;
  size_t max_batch_tokens = 2048;
  int threads = 0;
  std::string precision = "auto";  // the precision whose plan --json prints; resolved when parsed
  std::string precision_reason;
  std::string int8_ffn_output;     // with --precision int8: as `score --int8-ffn-output`
  bool json = false;
  GemmBackend gemm = GemmBackend::onednn;  // from SIMSCORE_GEMM
  RunFiles files;                          // the model read, the description on stdout
};


std::string mib(size_t bytes) { return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / 1048576.0); }

int run_inspect(const InspectOptions& o) {
  o.files.check();
  {  // --int8-ffn-output without --precision int8 is refused as `score` refuses it (exit 2)
    ModelOptions as_run;
    as_run.precision = o.precision;
    as_run.int8_ffn_output = o.int8_ffn_output;
    int8_ffn_output(as_run);
  }
  // Loaded as `score` loads it (every tensor read, shapes, finite values, int8 scales, the
  // tokenizer against the vocabulary), so a model `score` refuses is refused here too, with the
  // same message and exit code; what follows only describes it.
  {
    ModelOptions as_run;
    as_run.model = o.model;
    as_run.precision = o.precision;
    as_run.int8_ffn_output = o.int8_ffn_output;
    as_run.threads = o.threads;
    as_run.gemm = o.gemm;
    load_model(as_run);
  }
  const auto dir = resolve_model_dir(o.model);
  const EncoderConfig config = io::read_encoder_config(dir / "config.json");
  const auto source = io::open_weights(dir);
  const io::BertWeightsLayout layout = io::detect_bert_layout(*source);

  std::map<std::string, std::pair<size_t, size_t>> dtypes;  // dtype -> tensors, bytes
  for (const io::TensorInfo& t : source->tensors()) {
    size_t n = 1;
    for (int64_t d : t.shape) n *= static_cast<size_t>(d);
    const size_t element = t.dtype == "F64" || t.dtype == "I64" ? 8
                           : t.dtype == "F32" || t.dtype == "I32" ? 4
                           : t.dtype == "F16" || t.dtype == "BF16" || t.dtype == "I16" ? 2
                                                                                         : 1;
    dtypes[t.dtype].first += 1;
    dtypes[t.dtype].second += n * element;
  }
  const io::ModelDescription description = io::describe_model(dir, layout, std::nullopt, source->path());
  const bool cross = description.mode == ScoringMode::cross;
  // The weights a run loads: the pooler and classifier only for cross-encoders (as load_model).
  const bool pooler = cross && layout.has_pooler;
  const int labels = cross ? layout.labels : 0;

  const io::LoadedTokenizer tokenizer = io::load_tokenizer(dir);
  const io::MaxLength max_length = io::effective_max_length(dir, tokenizer.model_max_length, {});
  int threads = o.threads;
  if (threads == 0) {
    cpu_set_t cpus;
    threads = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
  }
  // The arena a scorer reserves: room for the largest batch, and always for one longest sequence.
  const size_t arena_tokens = std::max(o.max_batch_tokens, max_length.tokens);
  auto plan_for = [&](const std::string& precision) {
    ModelOptions as_run;
    as_run.gemm = o.gemm;
    as_run.precision = precision;
    if (as_run.precision == "int8") as_run.int8_ffn_output = o.int8_ffn_output;
    const DType storage = storage_precision(as_run);
    const ProductBackend products = product_backend(as_run);
    return EncoderPlan(config,
                       weight_shapes(config, storage, pooler, labels, products.precision == ComputePrecision::int8,
                                     products.int8_ffn_output),
                       products, threads);
  };

  std::string architecture = layout.has_classifier ? "ForSequenceClassification" : "Model";
  architecture = (config.model_type == "structbert" ? "Sbert" : "Bert") + architecture;
  if (config.model_type == "structbert") architecture += " (ModelScope StructBERT)";
  const std::string mode = cross ? "cross" : "bi";
  const std::string pooling = cross ? "first token, pooler and classifier"
                                    : std::string(pooling_name(description.pooling)) +
                                          (description.normalize ? ", normalized" : "");

  if (o.json) {
    const EncoderPlan plan = plan_for(o.precision);
    const nlohmann::json out = {
        {"model", dir.string()},
        {"architecture", architecture},
        {"mode", mode},
        {"mode_source", description.mode_source},
        {"pooling", pooling},
        {"layers", config.num_layers},
        {"hidden_size", config.hidden_size},
        {"labels", labels},
        {"parameters", plan.parameters()},
        {"max_length", max_length.tokens},
        {"precision", o.precision},
        {"precision_reason", o.precision_reason},
        {"precisions", precision_names()},
        {"products", plan.precisions()},
        {"threads", threads},
        {"max_batch_tokens", o.max_batch_tokens},
        {"memory",
         {{"weights_bytes", plan.weights_bytes()},
          {"prepacked_bytes", plan.packed_bytes()},
          {"arena_bytes", plan.arena_bytes(arena_tokens, max_length.tokens)}}}};
    fmt::print("{}\n", out.dump());
    return kSuccess;
  }

  fmt::print("model          {}\n", dir.string());
  fmt::print("weights file   {}\n", source->path().filename().string());
  fmt::print("architecture   {} (model_type {}{})\n", architecture, config.model_type,
             layout.prefix.empty() ? "" : fmt::format(", tensor prefix \"{}\"", layout.prefix));
  fmt::print("mode           {} ({})\n", mode, description.mode_source);
  fmt::print("pooling        {}\n", pooling);
  fmt::print("layers         {}\n", config.num_layers);
  fmt::print("hidden         {} ({} heads of {}, FFN {})\n", config.hidden_size, config.num_heads,
             config.head_dim(), config.intermediate_size);
  fmt::print("vocabulary     {} tokens, {} positions\n", config.vocab_size, config.max_position_embeddings);
  fmt::print("parameters     {} (used by the encoder{})\n", plan_for("fp32").parameters(),
             cross ? fmt::format(" and the {}-label classifier", labels) : "");
  std::string on_disk;
  for (const auto& [dtype, count] : dtypes)
    on_disk += fmt::format("{}{} {} tensor{} ({})", on_disk.empty() ? "" : ", ", dtype, count.first,
                           count.first == 1 ? "" : "s", mib(count.second));
  fmt::print("on disk        {}\n", on_disk);
  fmt::print("checked        loaded as `score --precision {}` loads it: every tensor read and checked\n",
             o.precision);
  fmt::print("tokenizer      {} ({}), max length {} ({})\n", tokenizer.kind,
             tokenizer.source.filename().string(), max_length.tokens, max_length.source);
  fmt::print("precision      {}: {}\n", o.precision, o.precision_reason);
  fmt::print("memory         per precision: weights as stored (+ prepacked copies, which replace their "
             "matrices) + activation arena "
             "for {} tokens per batch, {} threads\n",
             arena_tokens, threads);
  // int8 holds its matrices as int8 (a byte per weight, a scale per row) plus the prepacked int8
  // copies, and the other matrices (FFN output, embeddings) in fp16.
  for (const std::string& precision : precision_names()) {
    const EncoderPlan plan = plan_for(precision);
    const size_t weights = plan.weights_bytes(), packed = plan.packed_bytes();
    const size_t arena = plan.arena_bytes(arena_tokens, max_length.tokens);
    const std::string products = plan.precisions();
    fmt::print("  {:<12} {}{} + {} = {}{}{}\n", precision, mib(weights),
               packed ? " + " + mib(packed) + " prepacked" : "", mib(arena), mib(weights + packed + arena),
               products == "fp32" ? "" : " (products: " + products + ")",
               precision == o.precision ? "  <- this run's" : "");
  }
  return kSuccess;
}

}  // namespace

Run add_inspect_command(CLI::App& app) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* command = app.add_subcommand(
      "inspect", "Describe a model directory: architecture, sizes, dtypes, tokenizer, memory needed");
  command->add_option("--model,-m", options->model,
                      "Model directory (default: $SIMSCORE_MODEL, else the default model)")
      ->check(model_spec_given());
  options->files.add_model(options->model);
  options->files.add_stdout_use("the model's description");
  command->add_option("--max-batch-tokens", options->max_batch_tokens,
                      "Real tokens per encoder batch, for the memory estimate (default 2048)")
      ->check(whole_number())
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  command->add_option("--threads", options->threads,
                      "Threads, for the memory estimate (default: all available CPUs)")
      ->check(whole_number())
      ->check(CLI::Range(1, 1024));
  command->add_option("--precision", options->precision,
                      "Precision whose plan --json prints and the text marks: auto (default: as `score` "
                      "resolves it here), fp16, fp32, bf16 or int8")
      ->check(CLI::IsMember(precision_choices()));
  command->add_option("--int8-ffn-output", options->int8_ffn_output,
                      "With --precision int8: plan int8 runs with the FFN output product in int8 (default) or fp32")
      ->check(CLI::IsMember({"int8", "fp32"}));
  command->add_flag("--json", options->json,
                    "Print one JSON object: the model, its mode, and memory.weights_bytes, "
                    "prepacked_bytes and arena_bytes as `score --report` names them");
  read_gemm_backend_on_parse(*command, options->gemm, &options->precision, &options->precision_reason);
  return [command, options] { return command->parsed() ? run_inspect(*options) : -1; };
}

}  // namespace simscore::cli
