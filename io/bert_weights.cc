#include "io/bert_weights.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/errors.h"
#include "core/ops/convert.h"
#include "core/ops/int8_linear.h"

namespace simscore::io {
namespace {

constexpr std::string_view kWordEmbeddings = "embeddings.word_embeddings.weight";

std::string list_some_names(const TensorSource& source) {
  const auto& tensors = source.tensors();
  std::string names;
  const size_t shown = std::min<size_t>(tensors.size(), 12);
  for (size_t i = 0; i < shown; ++i) names += "\n  " + tensors[i].name;
  if (shown < tensors.size()) names += fmt::format("\n  ... and {} more", tensors.size() - shown);
  return names;
}

// A corrupt or badly converted checkpoint shows up as NaN or infinite weights, and a weight beyond
// fp16's range becomes infinite when stored in fp16: refuse both at load.
void check_finite(const TensorSource& source, const TensorInfo& tensor, const float* values,
                  size_t count, size_t first, DType storage = DType::f32) {
  for (size_t i = 0; i < count; ++i) {
    if (representable(values[i], storage)) continue;
    if (!std::isfinite(values[i]))
      throw ModelError(fmt::format("{}: tensor {} holds a non-finite value ({}) at element {}",
                                   source.path().string(), tensor.name, values[i], first + i));
    throw ModelError(fmt::format("{}: tensor {} holds {} at element {}, which {} cannot represent "
                                 "(its largest value is 65504); use --precision bf16 or fp32",
                                 source.path().string(), tensor.name, values[i], first + i,
                                 dtype_name(storage)));
  }
}

// Reads a tensor in chunks, widening each to fp32 and handing it to `sink(floats, count, first)`.
// `storage`: the precision the values are kept in afterwards, which they must fit.
template <typename Sink>
void stream_as_f32(const TensorSource& source, const TensorInfo& tensor, DType storage, Sink&& sink) {
  const DType dtype = float_dtype(source, tensor);
  const size_t element = dtype_size(dtype);
  size_t total = 1;
  for (int64_t d : tensor.shape) total *= static_cast<size_t>(d);
  constexpr size_t kChunk = 1 << 18;  // elements: 1 MiB of fp32 at a time
  std::vector<std::byte> raw(std::min(total, kChunk) * element);
  std::vector<float> floats(std::min(total, kChunk));
  for (size_t first = 0; first < total; first += kChunk) {
    const size_t count = std::min(kChunk, total - first);
    source.read(tensor, first, count, raw.data());
    convert_to_f32(raw.data(), dtype, floats.data(), count);
    check_finite(source, tensor, floats.data(), count, first, storage);
    sink(floats.data(), count, first);
  }
}

class Loader {
 public:
  Loader(std::shared_ptr<const TensorSource> source, std::string prefix, DType storage, bool int8_products,
         Int8FfnOutput ffn_output, std::vector<std::any>& owners)
      : source_(std::move(source)),
        prefix_(std::move(prefix)),
        storage_(storage),
        int8_products_(int8_products),
        ffn_output_(ffn_output),
        owners_(owners) {}

  const TensorInfo& entry(const std::string& name, std::initializer_list<int64_t> shape) const {
    const TensorInfo* found = source_->find(name);
    if (!found)
      throw ModelError(fmt::format("{}: missing tensor {} (tensors found:{})", source_->path().string(),
                                   name, list_some_names(*source_)));
    if (!std::equal(found->shape.begin(), found->shape.end(), shape.begin(), shape.end()))
      throw ModelError(fmt::format("{}: tensor {} has shape [{}], config.json implies [{}]",
                                   source_->path().string(), name, fmt::join(found->shape, ", "),
                                   fmt::join(shape, ", ")));
    return *found;
  }

  // A matrix in the storage precision: mapped in place when the file already has it, else
  // converted chunk by chunk into a buffer of our own.
  TensorView matrix(const std::string& name, int64_t rows, int64_t cols) {
    const TensorInfo& e = entry(prefix_ + name, {rows, cols});
    TensorView view{storage_, {rows, cols}, nullptr};
    if (float_dtype(*source_, e) == storage_) {
      if (const std::byte* in_place = source_->mapped(e)) {
        view.data = in_place;
        check_mapped_finite(e, view);
        return view;
      }
    }
    auto buffer = std::shared_ptr<std::byte[]>(new std::byte[view.bytes()]);
    const size_t element = dtype_size(storage_);
    stream_as_f32(*source_, e, storage_, [&](const float* values, size_t count, size_t first) {
      convert_from_f32(values, storage_, buffer.get() + first * element, count);
    });
    view.data = buffer.get();
    owners_.push_back(std::move(buffer));
    return view;
  }

  std::vector<float> vector(const std::string& name, int64_t size) {
    const TensorInfo& e = entry(prefix_ + name, {size});
    std::vector<float> out(static_cast<size_t>(size));
    stream_as_f32(*source_, e, DType::f32, [&](const float* values, size_t count, size_t first) {
      std::copy_n(values, count, out.data() + first);
    });
    return out;
  }

  Linear linear(const std::string& name, int64_t out, int64_t in) {
    const std::string weight = prefix_ + name + ".weight";
    if (const TensorInfo* w = source_->find(weight); w && w->dtype == "I8") return int8_linear(name, out, in);
    if (multiplied_in_int8(weight)) return quantized_linear(name, out, in);
    return {matrix(name + ".weight", out, in), vector(name + ".bias", out), std::nullopt};
  }

  // A matrix an int8 product multiplies, quantized as it is read: its fp16 copy is never kept.
  Linear quantized_linear(const std::string& name, int64_t out, int64_t in) {
    const TensorInfo& e = entry(prefix_ + name + ".weight", {out, in});
    auto q = std::make_shared<Int8Matrix>(quantize_matrix(*source_, e, storage_));
    Linear linear{TensorView{storage_, {out, in}, nullptr}, vector(name + ".bias", out),
                  Int8Storage{q->values.data(), q->scales.data(), int8_weight_limit()}};
    owners_.push_back(std::move(q));
    return linear;
  }

  // A matrix `simscore convert --precision int8` wrote (kInt8ScaleSuffix): read in place when an
  // int8 product multiplies it, else (another backend, or a matrix that runs in fp32) widened
  // (scale x value) to the storage precision.
  Linear int8_linear(const std::string& name, int64_t out, int64_t in) {
    const std::string file = source_->path().string();
    const TensorInfo& e = entry(prefix_ + name + ".weight", {out, in});
    const std::string scale_name = e.name + std::string(kInt8ScaleSuffix);
    const TensorInfo* s = source_->find(scale_name);
    if (!s)
      throw ModelError(fmt::format("{}: tensor {} is I8 but its scale tensor {} is missing", file, e.name,
                                   scale_name));
    if (s->dtype != "F32" || s->shape != std::vector<int64_t>{out})
      throw ModelError(fmt::format("{}: tensor {} has dtype {} and shape [{}]; the scales of {} must be F32 [{}]",
                                   file, scale_name, s->dtype, fmt::join(s->shape, ", "), e.name, out));
    const int limit = int8_limit();
    // The scales are copied (a float per row): the file guarantees no alignment for them.
    auto scales = std::shared_ptr<float[]>(new float[static_cast<size_t>(out)]);
    source_->read(*s, 0, static_cast<size_t>(out), reinterpret_cast<std::byte*>(scales.get()));
    // convert quantizes fp16-rounded weights, so the largest weight a scale encodes (scale x limit)
    // is one fp16 holds; a larger scale (1e30) is damage, and would widen to infinite fp16 weights
    // (NaN rows) or multiply int8 products into nonsense.
    for (int64_t r = 0; r < out; ++r)
      if (!std::isfinite(scales[r]) || scales[r] < 0.0f || scales[r] * static_cast<float>(limit) > 65504.0f)
        throw ModelError(fmt::format("{}: tensor {} holds {} at element {}; a scale must be finite, not "
                                     "negative, and at most {} (the largest fp16 weight over {})",
                                     file, scale_name, scales[r], r, 65504.0f / static_cast<float>(limit), limit));
    const size_t count = static_cast<size_t>(out * in);
    const auto* values = reinterpret_cast<const int8_t*>(source_->mapped(e));
    if (!values) {
      auto buffer = std::shared_ptr<int8_t[]>(new int8_t[count]);
      source_->read(e, 0, count, reinterpret_cast<std::byte*>(buffer.get()));
      values = buffer.get();
      owners_.push_back(std::move(buffer));
    }
    for (size_t i = 0; i < count; ++i)
      if (std::abs(static_cast<int>(values[i])) > limit)
        throw ModelError(fmt::format("{}: tensor {} holds {} at element {}, beyond the ±{} its metadata {} = {} "
                                     "allows", file, e.name, values[i], i, limit, kInt8BitsKey,
                                     source_->metadata(std::string(kInt8BitsKey))));
    Linear linear{TensorView{storage_, {out, in}, nullptr}, vector(name + ".bias", out), std::nullopt};
    if (multiplied_in_int8(e.name)) {
      linear.int8 = Int8Storage{values, scales.get(), limit};
      owners_.push_back(std::move(scales));
      return linear;
    }
    auto buffer = std::shared_ptr<std::byte[]>(new std::byte[linear.weight.bytes()]);
    std::vector<float> row(static_cast<size_t>(in));
    const size_t element = dtype_size(storage_);
    for (int64_t r = 0; r < out; ++r) {
      for (int64_t c = 0; c < in; ++c) row[c] = scales[r] * static_cast<float>(values[r * in + c]);
      convert_from_f32(row.data(), storage_, buffer.get() + static_cast<size_t>(r * in) * element, row.size());
    }
    linear.weight.data = buffer.get();
    owners_.push_back(std::move(buffer));
    return linear;
  }

  LayerNormWeights layer_norm(const std::string& name, int64_t size) {
    // Checkpoints converted from TensorFlow name LayerNorm parameters gamma/beta.
    if (!source_->find(prefix_ + name + ".weight") && source_->find(prefix_ + name + ".gamma"))
      return {vector(name + ".gamma", size), vector(name + ".beta", size)};
    return {vector(name + ".weight", size), vector(name + ".bias", size)};
  }

  void set_prefix(std::string prefix) { prefix_ = std::move(prefix); }

 private:
  void check_mapped_finite(const TensorInfo& e, const TensorView& view) const {
    constexpr size_t kChunk = 1 << 16;
    std::vector<float> floats(kChunk);
    const auto total = static_cast<size_t>(view.elements());
    const auto* bytes = static_cast<const std::byte*>(view.data);
    for (size_t first = 0; first < total; first += kChunk) {
      const size_t count = std::min(kChunk, total - first);
      convert_to_f32(bytes + first * dtype_size(view.dtype), view.dtype, floats.data(), count);
      check_finite(*source_, e, floats.data(), count, first);
    }
  }

  // The weights' magnitude limit a file with int8 tensors declares (kInt8BitsKey); refused where
  // int8 products will read them and this CPU's kernels cannot take them.
  int int8_limit() const {
    const std::string file = source_->path().string();
    const std::string bits = source_->metadata(std::string(kInt8BitsKey));
    if (bits != "7" && bits != "8")
      throw ModelError(fmt::format("{}: has I8 tensors but its metadata {} is \"{}\", expected \"7\" or \"8\" "
                                   "(written by simscore convert --precision int8)", file, kInt8BitsKey, bits));
    const int limit = bits == "8" ? 127 : 63;
    if (int8_products_ && limit > int8_weight_limit())
      throw ModelError(fmt::format(
          "{}: int8 weights of 8 bits (converted on a CPU with VNNI); this CPU's int8 kernels ({}) would "
          "saturate on them: convert the original model on this CPU, or run with --precision fp16",
          file, int8_kernel_isa()));
    return limit;
  }

  // Whether this run multiplies the matrix `tensor_name` in int8.
  bool multiplied_in_int8(std::string_view tensor_name) const {
    return int8_products_ && int8_product_matrix(tensor_name, ffn_output_);
  }

  std::shared_ptr<const TensorSource> source_;
  std::string prefix_;
  DType storage_;
  bool int8_products_;
  Int8FfnOutput ffn_output_;
  std::vector<std::any>& owners_;
};

}  // namespace

Int8Matrix quantize_matrix(const TensorSource& source, const TensorInfo& tensor, DType storage) {
  const auto rows = static_cast<int>(tensor.shape.at(0)), cols = static_cast<int>(tensor.shape.at(1));
  std::vector<float> floats(static_cast<size_t>(rows) * static_cast<size_t>(cols));
  std::vector<std::byte> rounded;
  stream_as_f32(source, tensor, storage, [&](const float* values, size_t count, size_t first) {
    rounded.resize(count * dtype_size(storage));
    convert_from_f32(values, storage, rounded.data(), count);
    convert_to_f32(rounded.data(), storage, floats.data() + first, count);
  });
  return quantize_matrix_rows(floats.data(), rows, cols, int8_weight_limit());
}

bool int8_product_matrix(std::string_view name, Int8FfnOutput ffn_output) {
  if (name.find("encoder.layer.") == std::string_view::npos || !name.ends_with(".weight")) return false;
  name.remove_suffix(std::string_view(".weight").size());
  for (const LayerLinearSpec& spec : kLayerLinears) {
    const bool named = name.ends_with(spec.name) && name[name.size() - spec.name.size() - 1] == '.';
    if (named && int8_product(spec.matrix, ffn_output)) return true;
  }
  return false;
}

bool representable(float value, DType storage) {
  return std::isfinite(value) && (storage != DType::f16 || std::fabs(value) < 65520.f);
}

BertWeightsLayout detect_bert_layout(const TensorSource& file) {
  std::vector<std::string> prefixes;
  for (const auto& e : file.tensors()) {
    const std::string_view name = e.name;
    if (name.size() >= kWordEmbeddings.size() && name.ends_with(kWordEmbeddings))
      prefixes.emplace_back(name.substr(0, name.size() - kWordEmbeddings.size()));
  }
  if (prefixes.size() != 1)
    throw ModelError(fmt::format(
        "{}: unknown tensor layout: expected exactly one tensor named [prefix]{} (BertModel: no "
        "prefix; BertForSequenceClassification: \"bert.\"), found {} (tensors found:{})",
        file.path().string(), kWordEmbeddings, prefixes.size(), list_some_names(file)));
  BertWeightsLayout layout;
  layout.prefix = prefixes.front();
  layout.has_pooler = file.find(layout.prefix + "pooler.dense.weight") != nullptr;
  // RobertaForSequenceClassification's head (classifier.dense, tanh, classifier.out_proj on the
  // first token) is BERT's pooler + classifier under other names; it is loaded into those slots.
  layout.has_classifier = file.find("classifier.weight") != nullptr ||
                          file.find("classifier.out_proj.weight") != nullptr;
  if (file.find("classifier.dense.weight")) layout.has_pooler = true;
  for (const char* name : {"classifier.weight", "classifier.out_proj.weight"})
    if (const TensorInfo* c = file.find(name); c && c->shape.size() == 2) layout.labels = static_cast<int>(c->shape[0]);
  const std::string layer_prefix = layout.prefix + "encoder.layer.";
  for (const auto& e : file.tensors()) {
    layout.has_int8 = layout.has_int8 || e.dtype == "I8";
    if (!e.name.starts_with(layer_prefix)) continue;
    const char* digits = e.name.c_str() + layer_prefix.size();
    char* end = nullptr;
    const long index = std::strtol(digits, &end, 10);
    if (end != digits && *end == '.' && index >= 0 && index < (1 << 20))
      layout.layers = std::max(layout.layers, static_cast<int>(index) + 1);
  }
  return layout;
}

void check_file_matches_config(const TensorSource& file, const BertWeightsLayout& layout,
                               const EncoderConfig& config, const std::string& config_path) {
  const std::string path = file.path().string();
  // A config with fewer layers than the file would run a truncated encoder (scores silently wrong);
  // with more, the first missing tensor would be the only hint.
  if (layout.layers != config.num_layers)
    throw ModelError(fmt::format("{}: num_hidden_layers is {}, but {} holds {} layers ({}encoder.layer.0 "
                                 "to .{}); the config and the weights belong to different models",
                                 config_path, config.num_layers, path, layout.layers, layout.prefix,
                                 layout.layers - 1));
  const std::string quantization = file.metadata(std::string(kQuantizationKey));
  if (!quantization.empty() && quantization != "int8")
    throw ModelError(fmt::format("{}: its metadata {} is \"{}\"; this program reads \"int8\" only "
                                 "(written by simscore convert --precision int8)",
                                 path, kQuantizationKey, quantization));
  if (layout.has_int8 && quantization.empty())
    throw ModelError(fmt::format("{}: has I8 tensors but no metadata {} (\"int8\"): not a file "
                                 "simscore convert --precision int8 wrote, so its scales cannot be trusted",
                                 path, kQuantizationKey));
}

EncoderWeights load_bert_weights(std::shared_ptr<const TensorSource> file,
                                 const BertWeightsLayout& layout, const EncoderConfig& config,
                                 DType storage, bool with_heads, bool int8_products, Int8FfnOutput ffn_output) {
  check_file_matches_config(*file, layout, config, "config.json");
  EncoderWeights w;
  w.storage = storage;
  w.owners.push_back(file);
  Loader load(file, layout.prefix, storage, int8_products, ffn_output, w.owners);
  const int64_t h = config.hidden_size;

  w.word_embeddings = load.matrix("embeddings.word_embeddings.weight", config.vocab_size, h);
  w.position_embeddings =
      load.matrix("embeddings.position_embeddings.weight", config.max_position_embeddings, h);
  w.token_type_embeddings =
      load.matrix("embeddings.token_type_embeddings.weight", config.type_vocab_size, h);
  w.embedding_norm = load.layer_norm("embeddings.LayerNorm", h);
  for (int i = 0; i < config.num_layers; ++i) {
    const std::string p = fmt::format("encoder.layer.{}.", i);
    EncoderLayerWeights& layer = w.layers.emplace_back();
    for (const LayerLinearSpec& spec : kLayerLinears)
      layer.*spec.member = load.linear(p + std::string(spec.name), layer_size(config, spec.out),
                                       layer_size(config, spec.in));
    for (const LayerNormSpec& spec : kLayerNorms) layer.*spec.member = load.layer_norm(p + std::string(spec.name), h);
  }
  if (with_heads) {
    const bool roberta_head = file->find("classifier.out_proj.weight") != nullptr;
    if (roberta_head) {
      load.set_prefix("");
      w.pooler = load.linear("classifier.dense", h, h);
      const TensorInfo* out_proj = file->find("classifier.out_proj.weight");
      if (out_proj->shape.size() != 2)
        throw ModelError(fmt::format("{}: classifier.out_proj.weight must be a matrix",
                                     file->path().string()));
      w.classifier = load.linear("classifier.out_proj", out_proj->shape[0], h);
    } else if (layout.has_pooler) {
      w.pooler = load.linear("pooler.dense", h, h);
    }
    if (layout.has_classifier && !roberta_head) {
      const TensorInfo* classifier = file->find("classifier.weight");
      if (classifier->shape.size() != 2)
        throw ModelError(fmt::format("{}: classifier.weight must be a matrix", file->path().string()));
      load.set_prefix("");
      w.classifier = load.linear("classifier", classifier->shape[0], h);
    }
  }
  return w;
}

}  // namespace simscore::io
