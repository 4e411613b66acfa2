// simscore inspect: what a model directory holds and what running it would cost, without loading
// the weights (only the tensor index and the config and tokenizer files are read).

#include <fmt/format.h>
#include <sched.h>

#include <map>
#include <memory>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/model_options.h"
#include "core/encoder/bert_encoder.h"
#include "core/encoder/workspace.h"
#include "core/model/weights.h"
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
};

// EncoderWeights with shapes and storage but no data: enough for bytes(), parameters() and the
// activation plan, which depend only on those.
EncoderWeights shapes_only(const EncoderConfig& c, const io::BertWeightsLayout& layout, int labels,
                           DType storage) {
  const int64_t h = c.hidden_size, ffn = c.intermediate_size;
  const auto matrix = [&](int64_t rows, int64_t cols) { return TensorView{storage, {rows, cols}, nullptr}; };
  const auto linear = [&](int64_t out, int64_t in) {
    return Linear{matrix(out, in), std::vector<float>(static_cast<size_t>(out))};
  };
  const auto norm = [&] {
    return LayerNormWeights{std::vector<float>(static_cast<size_t>(h)), std::vector<float>(static_cast<size_t>(h))};
  };
  EncoderWeights w;
  w.storage = storage;
  w.word_embeddings = matrix(c.vocab_size, h);
  w.position_embeddings = matrix(c.max_position_embeddings, h);
  w.token_type_embeddings = matrix(c.type_vocab_size, h);
  w.embedding_norm = norm();
  for (int i = 0; i < c.num_layers; ++i)
    w.layers.push_back({linear(h, h), linear(h, h), linear(h, h), linear(h, h), norm(),
                        linear(ffn, h), linear(h, ffn), norm()});
  if (layout.has_pooler) w.pooler = linear(h, h);
  if (layout.has_classifier && labels > 0) w.classifier = linear(labels, h);
  return w;
}

std::string mib(size_t bytes) { return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / 1048576.0); }

int run_inspect(const InspectOptions& o) {
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
  int labels = 0;
  if (const io::TensorInfo* c = source->find("classifier.weight"); c && c->shape.size() == 2)
    labels = static_cast<int>(c->shape[0]);

  const io::LoadedTokenizer tokenizer = io::load_tokenizer(dir);
  const io::MaxLength max_length = io::effective_max_length(dir, tokenizer.model_max_length, {});
  int threads = o.threads;
  if (threads == 0) {
    cpu_set_t cpus;
    threads = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
  }

  std::string architecture = layout.has_classifier ? "ForSequenceClassification" : "Model";
  architecture = (config.model_type == "structbert" ? "Sbert" : "Bert") + architecture;
  if (config.model_type == "structbert") architecture += " (ModelScope StructBERT)";
  const EncoderWeights fp32 = shapes_only(config, layout, labels, DType::f32);

  fmt::print("model          {}\n", dir.string());
  fmt::print("weights file   {}\n", source->path().filename().string());
  fmt::print("architecture   {} (model_type {}{})\n", architecture, config.model_type,
             layout.prefix.empty() ? "" : fmt::format(", tensor prefix \"{}\"", layout.prefix));
  fmt::print("layers         {}\n", config.num_layers);
  fmt::print("hidden         {} ({} heads of {}, FFN {})\n", config.hidden_size, config.num_heads,
             config.head_dim(), config.intermediate_size);
  fmt::print("vocabulary     {} tokens, {} positions\n", config.vocab_size, config.max_position_embeddings);
  fmt::print("parameters     {} (used by the encoder{})\n", fp32.parameters(),
             layout.has_classifier ? fmt::format(" and the {}-label classifier", labels) : "");
  std::string on_disk;
  for (const auto& [dtype, count] : dtypes)
    on_disk += fmt::format("{}{} {} tensor{} ({})", on_disk.empty() ? "" : ", ", dtype, count.first,
                           count.first == 1 ? "" : "s", mib(count.second));
  fmt::print("on disk        {}\n", on_disk);
  fmt::print("tokenizer      {} ({}), max length {} ({})\n", tokenizer.kind,
             tokenizer.source.filename().string(), max_length.tokens, max_length.source);
  fmt::print("memory         per precision: weights as stored (+ prepacked copies) + activation arena "
             "for {} tokens per batch, {} threads\n",
             o.max_batch_tokens, threads);
  select_gemm_backend();
  for (const DType storage : {DType::f32, DType::f16, DType::bf16}) {
    const EncoderWeights w = shapes_only(config, layout, labels, storage);
    const size_t packed = BertEncoder::planned_packed_bytes(config, storage);
    const size_t arena = ActivationLayout::plan(config, w, o.max_batch_tokens, max_length.tokens, threads)
                             .total * sizeof(float);
    fmt::print("  {:<12} {}{} + {} = {}\n", dtype_name(storage), mib(w.bytes()),
               packed ? " + " + mib(packed) + " prepacked" : "", mib(arena), mib(w.bytes() + packed + arena));
  }
  return kSuccess;
}

}  // namespace

Run add_inspect_command(CLI::App& app) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* command = app.add_subcommand(
      "inspect", "Describe a model directory: architecture, sizes, dtypes, tokenizer, memory needed");
  command->add_option("--model,-m", options->model,
                      "Model directory (default: $SIMSCORE_MODEL, else the default model)");
  command->add_option("--max-batch-tokens", options->max_batch_tokens,
                      "Real tokens per encoder batch, for the memory estimate (default 2048)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  command->add_option("--threads", options->threads,
                      "Threads, for the memory estimate (default: all available CPUs)")
      ->check(CLI::Range(1, 1024));
  return [command, options] { return command->parsed() ? run_inspect(*options) : -1; };
}

}  // namespace simscore::cli
