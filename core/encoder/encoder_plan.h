#pragma once
// The encoder's execution plan, a value: every layer's products (which block of which matrix, what
// each allocates), the weights' bytes, the activation arena of a batch and the FLOPs, built once
// from the config, the weights' shapes and storage, the backend and the thread count. The encoder
// runs it; `--max-memory`, `inspect` and the run report read the same plan, built from shapes alone
// where no weights are loaded (weight_shapes), so the numbers they print cannot disagree.

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/encoder/workspace.h"
#include "core/model/config.h"
#include "core/model/weights.h"
#include "core/ops/product.h"

namespace simscore {

struct PlannedProduct {
  LayerMatrix matrix;
  BlockSpec spec;          // spec.layer is null; the encoder binds it to the layer's matrix
  ProductBackend backend;  // what runs this product: the plan's, or where it differs (int8's FFN output) its own
  ProductCost cost;        // what the built product allocates
};

// The backend of the feed-forward block's second product (FFN output) in a plan for `backend`: the
// same, except with int8 and backend.int8_ffn_output fp32, where it runs in fp32 (its input, the
// GELU output, is the most outlier-heavy activation of a layer; docs/performance.md "int8" has the
// measurement behind int8 as the default).
ProductBackend ffn_output_backend(const ProductBackend& backend);

// One layer's products, and where they put their results; BertEncoder runs every backend's plan
// through one layer sequence. The feed-forward block runs as (in, out) pairs: on oneDNN, slices of
// ActivationLayout::ffn_block_columns columns, each pair's out summed onto the previous ones, all
// tokens at once; on OpenBLAS, one pair of whole matrices run over slices of ffn_slice_tokens tokens.
struct LayerPlan {
  std::vector<PlannedProduct> query, key, value, attention_output;
  std::vector<std::pair<PlannedProduct, PlannedProduct>> feed_forward;
  // Q, K and V side by side in [tokens, 3H] rows (OpenBLAS: each product writes its columns), or
  // one dense [tokens, H] block after another (oneDNN: its fastest kernels write dense blocks).
  bool qkv_side_by_side = false;
  // Tokens per run of the feed-forward pairs: 0 for all of a batch's tokens at once.
  size_t ffn_slice_tokens = 0;
};

class EncoderPlan;
// Lets go of the stored matrices `plan` holds as prepacked copies (EncoderPlan::held_as_copies),
// once an encoder built from `plan` on `weights` has made their products (of layer `layer` alone,
// when given): each matrix is then held once, and (all layers done) weights.bytes() is
// plan.weights_bytes().
void drop_prepacked_sources(EncoderWeights& weights, const EncoderPlan& plan,
                            std::optional<size_t> layer = std::nullopt);

class EncoderPlan {
 public:
  // `weights` may hold shapes only (weight_shapes): the plan reads shapes and storage, never data.
  EncoderPlan(const EncoderConfig& config, const EncoderWeights& weights, const ProductBackend& backend, int threads);

  const EncoderConfig& config() const { return config_; }
  const ProductBackend& backend() const { return backend_; }
  DType storage() const { return storage_; }
  int threads() const { return threads_; }
  const std::vector<LayerPlan>& layers() const { return layers_; }

  // The weights as a run holds them (matrices in `storage`, vectors fp32), heads included, less the
  // matrices only prepacked copies read (held_as_copies: their sources are dropped once the
  // products are built, drop_prepacked_sources), and their parameter count.
  size_t weights_bytes() const { return weights_bytes_; }
  // Whether every product of `matrix` holds its own prepacked copy (a LinearBlock in a prepacked
  // layout: bf16 products, SIMSCORE_GEMM=onednn-prepacked), so nothing reads the stored matrix
  // once they are built. int8 products keep reading Linear::int8 (in place, where oneDNN takes it).
  bool held_as_copies(LayerMatrix matrix) const;
  size_t parameters() const { return parameters_; }
  // Bytes of the prepacked weight copies every product makes (0 when all are used as stored).
  size_t packed_bytes() const { return packed_bytes_; }
  // Floats of scratch the largest product (or scoring head) widens its weights into, and what a
  // call with `rows` rows needs (int8 products' scratch grows with the rows).
  size_t scratch_floats() const { return scratch_floats_; }
  size_t scratch_floats(size_t rows) const;
  // Which products of a layer run in which precision, e.g. "int8 (Q, K, V, attention output, FFN
  // in), fp32 (FFN output)"; one precision alone when all agree.
  std::string precisions() const;

  // The arena of a batch of `tokens` packed tokens whose longest sequence is `max_length`, on the
  // plan's threads (or `threads`).
  ActivationLayout activations(size_t tokens, size_t max_length) const;
  ActivationLayout activations(size_t tokens, size_t max_length, int threads) const;
  size_t arena_bytes(size_t tokens, size_t max_length) const;

  // FLOPs of the dense products over `tokens` real tokens (2 m n k each; no padding exists), and of
  // the whole encoder with the attention products for sequences of `mean_length` on average.
  double matmul_flops(double tokens) const;
  double flops(double tokens, double mean_length) const;

 private:
  EncoderConfig config_;
  ProductBackend backend_;
  DType storage_ = DType::f16;
  int threads_ = 1;
  std::vector<LayerPlan> layers_;
  size_t weights_bytes_ = 0, parameters_ = 0, packed_bytes_ = 0, scratch_floats_ = 0, head_scratch_floats_ = 0;
};

}  // namespace simscore
