// The execution plan (core/encoder/encoder_plan.h) against what the encoder really builds and
// allocates: for every backend and storage precision, each planned product's prepacked bytes and
// scratch equal those of the product make_product builds from loaded weights, the encoder's copies
// sum to the plan's, a plan from shapes alone (weight_shapes, as `inspect` and --max-memory build
// it) equals the plan from loaded weights, and the arena a batch takes is the plan's layout.
// Shapes: a tiny model, one whose sizes are not multiples of oneDNN's 64-wide blocks, and one
// layer of the StructBERT-large shape (hidden 1024, FFN 4096), which the streamed path splits into
// column blocks.

#include <gtest/gtest.h>

#include <any>
#include <memory>
#include <random>
#include <vector>

#include "core/encoder/bert_encoder.h"
#include "core/encoder/encoder_plan.h"
#include "core/ops/convert.h"
#include "core/ops/gemm.h"
#include "core/ops/int8_linear.h"
#include "core/ops/linear_block.h"

namespace simscore {
namespace {

EncoderConfig config_of(int hidden, int ffn, int layers) {
  EncoderConfig c;
  c.vocab_size = 50;
  c.hidden_size = hidden;
  c.num_layers = layers;
  c.num_heads = hidden % 64 == 0 ? hidden / 64 : 4;
  c.intermediate_size = ffn;
  c.max_position_embeddings = 64;
  return c;
}

// weight_shapes with random data in `storage` (the owners keep it alive); with `int8_products`,
// the matrices int8 products multiply (int8_product) held as int8, as the loader holds them for
// such a run.
EncoderWeights random_weights(const EncoderConfig& config, DType storage, int labels, bool int8_products = false,
                              Int8FfnOutput ffn_output = Int8FfnOutput::int8) {
  EncoderWeights w = weight_shapes(config, storage, labels > 0, labels);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> value(-0.1f, 0.1f);
  auto fill = [&](TensorView& t) {
    std::vector<float> f32(static_cast<size_t>(t.elements()));
    for (float& x : f32) x = value(rng);
    auto stored = std::make_shared<std::vector<char>>(f32.size() * dtype_size(storage));
    convert_from_f32(f32.data(), storage, stored->data(), f32.size());
    t.data = stored->data();
    w.owners.emplace_back(stored);
  };
  auto fill_vector = [&](std::vector<float>& v) {
    for (float& x : v) x = value(rng);
  };
  fill(w.word_embeddings);
  fill(w.position_embeddings);
  fill(w.token_type_embeddings);
  for (EncoderLayerWeights& l : w.layers)
    for (const LayerLinearSpec& spec : kLayerLinears) {
      fill((l.*spec.member).weight);
      fill_vector((l.*spec.member).bias);
    }
  if (w.pooler) fill(w.pooler->weight);
  if (w.classifier) fill(w.classifier->weight);
  if (int8_products)
    for (EncoderLayerWeights& l : w.layers)
      for (const LayerLinearSpec& spec : kLayerLinears) {
        if (!int8_product(spec.matrix, ffn_output)) continue;
        Linear* m = &(l.*spec.member);
        std::vector<float> f32(static_cast<size_t>(m->weight.elements()));
        convert_to_f32(m->weight.data, storage, f32.data(), f32.size());
        auto q = std::make_shared<Int8Matrix>(
            quantize_matrix_rows(f32.data(), m->out_features(), m->in_features(), int8_weight_limit()));
        m->int8 = Int8Storage{q->values.data(), q->scales.data(), int8_weight_limit()};
        m->weight.data = nullptr;
        w.owners.emplace_back(q);
      }
  return w;
}

struct Shape {
  int hidden, ffn, layers;
};

// No int8; int8 everywhere (the default); int8 with the FFN output product in fp32.
struct Int8Variant {
  Quantization quantization;
  Int8FfnOutput ffn_output;
};
constexpr Int8Variant kInt8Variants[] = {{Quantization::none, Int8FfnOutput::int8},
                                         {Quantization::int8, Int8FfnOutput::int8},
                                         {Quantization::int8, Int8FfnOutput::fp32}};

class EncoderPlanTest : public ::testing::TestWithParam<Shape> {};

TEST_P(EncoderPlanTest, PlannedProductsAllocateWhatBuiltProductsDo) {
  const Shape shape = GetParam();
  const EncoderConfig config = config_of(shape.hidden, shape.ffn, shape.layers);
  for (GemmBackend kind : {GemmBackend::onednn, GemmBackend::onednn_prepacked, GemmBackend::openblas})
    for (DType storage : {DType::f32, DType::f16, DType::bf16})
      for (const Int8Variant variant : kInt8Variants) {
        const Quantization quantization = variant.quantization;
        if (kind == GemmBackend::openblas && quantization == Quantization::int8) continue;  // no int8 products
        const bool int8 = quantization == Quantization::int8;
        const bool ffn_int8 = variant.ffn_output == Int8FfnOutput::int8;
        SCOPED_TRACE(::testing::Message() << "backend " << static_cast<int>(kind) << ", " << dtype_name(storage)
                                          << (int8 ? ", int8" : "") << (int8 && !ffn_int8 ? ", FFN output fp32" : ""));
        EncoderWeights weights = random_weights(config, storage, 2, int8, variant.ffn_output);
        const ProductBackend backend = ProductBackend::for_storage(kind, storage, quantization, variant.ffn_output);
        const EncoderPlan plan(config, weights, backend, 2);
        ASSERT_EQ(plan.layers().size(), static_cast<size_t>(config.num_layers));

        // Each planned product, built from the loaded weights, allocates what the plan says.
        const LayerPlan& layer = plan.layers()[0];
        std::vector<const PlannedProduct*> planned;
        for (const auto* products : {&layer.query, &layer.key, &layer.value, &layer.attention_output})
          for (const PlannedProduct& p : *products) planned.push_back(&p);
        for (const auto& [in, out] : layer.feed_forward) planned.push_back(&in), planned.push_back(&out);
        constexpr size_t kRows = 37;  // int8 scratch grows with the rows of a call
        size_t layer_packed = 0, largest_scratch = 0, largest_scratch_for_rows = 0;
        for (const PlannedProduct* p : planned) {
          BlockSpec spec = p->spec;
          spec.layer = &layer_matrix(weights.layers[0], p->matrix);
          const auto built = make_product(spec, p->backend);
          EXPECT_EQ(built->bytes(), p->cost.packed_bytes);
          EXPECT_EQ(built->scratch_floats(), p->cost.scratch_floats);
          EXPECT_EQ(built->scratch_floats_per_row(), p->cost.scratch_floats_per_row);
          // int8 plans run every product in int8 unless the FFN output is asked for in fp32
          // (docs/performance.md "int8"); every other product runs as the plan's backend.
          const bool fp32_ffn_output = int8 && !ffn_int8 && p->matrix == LayerMatrix::output;
          EXPECT_EQ(p->backend.precision, fp32_ffn_output ? ComputePrecision::f32 : backend.precision);
          EXPECT_EQ(built->scratch_floats_per_row() > 0, p->backend.precision == ComputePrecision::int8);
          layer_packed += built->bytes();
          largest_scratch = std::max(largest_scratch, built->scratch_floats());
          largest_scratch_for_rows = std::max(largest_scratch_for_rows, built->scratch_floats(kRows));
        }
        EXPECT_EQ(plan.packed_bytes(), layer_packed * static_cast<size_t>(config.num_layers));
        // The heads widen into the same scratch through `linear`.
        largest_scratch = std::max({largest_scratch, linear_scratch_floats(*weights.pooler),
                                    linear_scratch_floats(*weights.classifier)});
        EXPECT_EQ(plan.scratch_floats(), largest_scratch);
        largest_scratch_for_rows = std::max({largest_scratch_for_rows, linear_scratch_floats(*weights.pooler),
                                             linear_scratch_floats(*weights.classifier)});
        EXPECT_EQ(plan.scratch_floats(kRows), largest_scratch_for_rows);
        EXPECT_EQ(plan.activations(kRows, 16).total - plan.activations(kRows, 16).weight_scratch,
                  (largest_scratch_for_rows + 15) / 16 * 16);
        if (int8)
          EXPECT_EQ(plan.precisions(), ffn_int8 ? "int8" : "int8 (Q, K, V, attention output, FFN in), fp32 (FFN output)");
        const bool copies = backend.layout == WeightLayout::prepacked && kind != GemmBackend::openblas;
        EXPECT_EQ(plan.packed_bytes() > 0, copies);

        // The encoder built from the plan holds exactly the plan's copies.
        const BertEncoder encoder(config, weights, plan);
        EXPECT_EQ(encoder.packed_bytes(), plan.packed_bytes());

        // Shapes alone (inspect, --max-memory) give the same plan as loaded weights.
        const EncoderPlan from_shapes(config, weight_shapes(config, storage, true, 2, int8, variant.ffn_output), backend, 2);
        EXPECT_EQ(from_shapes.weights_bytes(), plan.weights_bytes());
        EXPECT_EQ(from_shapes.parameters(), plan.parameters());
        EXPECT_EQ(from_shapes.packed_bytes(), plan.packed_bytes());
        EXPECT_EQ(from_shapes.scratch_floats(), plan.scratch_floats());
        EXPECT_EQ(from_shapes.arena_bytes(2048, 64), plan.arena_bytes(2048, 64));
        // Every matrix is held once: the stored copies of the prepacked ones go, and what is left is
        // what the plan said.
        const size_t before = weights.bytes();
        drop_prepacked_sources(weights, plan);
        EXPECT_EQ(plan.weights_bytes(), weights.bytes());
        const bool fp32_copies = kind == GemmBackend::onednn_prepacked && int8 && !ffn_int8;  // FFN output
        EXPECT_EQ(before > weights.bytes(), copies && (!int8 || fp32_copies)) << before << " " << weights.bytes();
      }
}

// These plans build the largest products; a forward pass on the tiny shape checks the arena.
INSTANTIATE_TEST_SUITE_P(Shapes, EncoderPlanTest,
                         ::testing::Values(Shape{64, 256, 2}, Shape{40, 100, 1}, Shape{1024, 4096, 1}));

TEST(EncoderPlan, ABatchUsesThePlannedArena) {
  const EncoderConfig config = config_of(64, 256, 2);
  for (GemmBackend kind : {GemmBackend::onednn, GemmBackend::onednn_prepacked, GemmBackend::openblas})
    for (const Int8Variant variant : kInt8Variants) {
      const ProductBackend backend =
          ProductBackend::for_storage(kind, DType::f16, variant.quantization, variant.ffn_output);
      const EncoderWeights weights = random_weights(config, DType::f16, 0, backend.precision == ComputePrecision::int8,
                                                    variant.ffn_output);
      const EncoderPlan plan(config, weights, backend,
                             compute_threads());
      const BertEncoder encoder(config, weights, plan);
      TokenBatch batch;
      batch.add({{1, 5, 7, 9, 2}, {0, 0, 0, 1, 1}});
      batch.add({{1, 3, 2}, {0, 0, 0}});
      Workspace workspace;
      workspace.reserve(plan.activations(16, 8));
      EXPECT_EQ(workspace.bytes(), plan.arena_bytes(16, 8));
      encoder.forward(batch, workspace);
      EXPECT_EQ(workspace.peak_bytes(), plan.arena_bytes(batch.tokens(), 5));
      EXPECT_EQ(workspace.bytes(), plan.arena_bytes(16, 8));  // no regrowth: the plan was enough
    }
}

TEST(EncoderPlan, BackendFollowsStorageAndKind) {
  const ProductBackend blas = ProductBackend::for_storage(GemmBackend::openblas, DType::bf16);
  EXPECT_EQ(blas.precision, ComputePrecision::f32);
  EXPECT_EQ(blas.layout, WeightLayout::streamed);
  EXPECT_EQ(ProductBackend::for_storage(GemmBackend::onednn, DType::f16).layout, WeightLayout::streamed);
  EXPECT_EQ(ProductBackend::for_storage(GemmBackend::onednn_prepacked, DType::f16).layout,
            WeightLayout::prepacked);
  const ProductBackend bf16 = ProductBackend::for_storage(GemmBackend::onednn, DType::bf16);
  EXPECT_EQ(bf16.precision, bf16_support().available ? ComputePrecision::bf16 : ComputePrecision::f32);
  EXPECT_EQ(bf16.layout, bf16_support().available ? WeightLayout::prepacked : WeightLayout::streamed);
  // int8 products on oneDNN (each holds its quantized copy); none on OpenBLAS.
  for (GemmBackend kind : {GemmBackend::onednn, GemmBackend::onednn_prepacked}) {
    const ProductBackend int8 = ProductBackend::for_storage(kind, DType::f16, Quantization::int8);
    EXPECT_EQ(int8.precision, ComputePrecision::int8);
    EXPECT_EQ(int8.layout, WeightLayout::prepacked);
    EXPECT_EQ(ffn_output_backend(int8), int8);  // every product in int8 by default
    // --int8-ffn-output fp32: that product as an fp16 run would run it.
    const ProductBackend fp32_output =
        ffn_output_backend(ProductBackend::for_storage(kind, DType::f16, Quantization::int8, Int8FfnOutput::fp32));
    const ProductBackend fp16 = ProductBackend::for_storage(kind, DType::f16);
    EXPECT_EQ(fp32_output.precision, fp16.precision);
    EXPECT_EQ(fp32_output.layout, fp16.layout);
  }
  EXPECT_EQ(ProductBackend::for_storage(GemmBackend::openblas, DType::f16, Quantization::int8), blas);
}

TEST(EncoderPlan, FlopsCountEveryDenseProduct) {
  const EncoderConfig config = config_of(64, 256, 2);
  const EncoderPlan plan(config, weight_shapes(config, DType::f32, false, 0),
                         ProductBackend::for_storage(GemmBackend::onednn, DType::f32), 1);
  // Per token and layer: Q, K, V and the output (4 H^2) and the feed-forward block (2 H FFN), 2 FLOPs
  // per multiply-add; attention adds 4 H per token of the sequence.
  EXPECT_DOUBLE_EQ(plan.matmul_flops(10), 2 * 10 * 2.0 * (4 * 64 * 64 + 2 * 64 * 256));
  EXPECT_DOUBLE_EQ(plan.flops(10, 5), plan.matmul_flops(10) + 2 * 10 * 4.0 * 5 * 64);
}

}  // namespace
}  // namespace simscore
