// Micro-benchmarks of the encoder's kernels (Google Benchmark): the matrix products on every
// backend and precision at the shapes of the workloads, attention, LayerNorm and GELU.
// GFLOP/s counters are useful operations per second (2 m n k for a product). Compare within one run:
// the host clock drifts.
//
//   build/bench/kernels_bench --benchmark_filter=Matmul --benchmark_repetitions=3

#include <benchmark/benchmark.h>

#include <dnnl.hpp>

#include <random>
#include <vector>

#include "core/encoder/attention.h"
#include "core/encoder/token_batch.h"
#include "core/ops/activation.h"
#include "core/ops/convert.h"
#include "core/ops/gemm.h"
#include "core/ops/int8_linear.h"
#include "core/ops/layer_norm.h"
#include "core/ops/linear_block.h"

namespace simscore {
namespace {

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

struct Layer {
  std::vector<float> f32;
  std::vector<uint16_t> half;
  Linear linear;
};

Layer make_layer(int out, int in, DType storage) {
  Layer l;
  l.f32 = random_floats(static_cast<size_t>(out) * in, 1);
  const void* data = l.f32.data();
  if (storage != DType::f32) {
    l.half.resize(l.f32.size());
    convert_from_f32(l.f32.data(), storage, l.half.data(), l.f32.size());
    data = l.half.data();
  }
  l.linear.weight = {storage, {out, in}, data};
  l.linear.bias = random_floats(static_cast<size_t>(out), 2);
  return l;
}

void set_flops(benchmark::State& state, double per_iteration) {
  state.counters["GFLOP/s"] = benchmark::Counter(per_iteration * 1e-9 * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}

// Args: rows (tokens), out, in.
void MatmulOpenBlas(benchmark::State& state, DType storage) {
  const int rows = static_cast<int>(state.range(0)), out = static_cast<int>(state.range(1)),
            in = static_cast<int>(state.range(2));
  const Layer l = make_layer(out, in, storage);
  const auto x = random_floats(static_cast<size_t>(rows) * in, 3);
  std::vector<float> y(static_cast<size_t>(rows) * out), scratch(linear_scratch_floats(l.linear));
  for (auto _ : state) {
    linear(x.data(), rows, l.linear, y.data(), scratch.data());
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, 2.0 * rows * out * in);
  state.SetLabel(openblas_kernel_name());
}

// fp16-stored weights, prepacked (a copy in the compute precision) or streamed (widened to fp32 a
// block at a time before every product, as the default fp16 path runs).
void MatmulOneDnn(benchmark::State& state, ComputePrecision precision, WeightLayout layout, bool gelu) {
  if (precision == ComputePrecision::bf16 && !bf16_support().available) {
    state.SkipWithError("no native bf16 products on this CPU");
    return;
  }
  const int rows = static_cast<int>(state.range(0)), out = static_cast<int>(state.range(1)),
            in = static_cast<int>(state.range(2));
  const Layer l = make_layer(out, in, DType::f16);
  const BlockSpec spec{.layer = &l.linear, .first_out = 0, .outputs = out, .first_in = 0, .inputs = in,
                       .activation = gelu ? std::optional(Activation::gelu_erf) : std::nullopt};
  const LinearBlock packed(spec, precision, layout);
  const auto x = random_floats(static_cast<size_t>(rows) * in, 3);
  std::vector<uint16_t> x_bf16(x.size());
  convert_rows_to_bf16(x.data(), rows, in, x_bf16.data());
  const void* input = precision == ComputePrecision::bf16 ? static_cast<const void*>(x_bf16.data())
                                                          : static_cast<const void*>(x.data());
  std::vector<float> y(static_cast<size_t>(rows) * out), scratch(packed.scratch_floats());
  for (auto _ : state) {
    packed(input, rows, y.data(), scratch.data());
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, 2.0 * rows * out * in);
  state.SetLabel(packed.kernel_name());
}

// oneDNN on fp32 or bf16 weights as stored ([out, in] rows, no prepacking: the kernel packs per
// call), the whole matrix in one product. What prepacking buys.
void MatmulOneDnnUnpacked(benchmark::State& state, DType storage) {
  using dnnl::memory;
  if (storage == DType::bf16 && !bf16_support().available) {
    state.SkipWithError("no native bf16 products on this CPU");
    return;
  }
  const int rows = static_cast<int>(state.range(0)), out = static_cast<int>(state.range(1)),
            in = static_cast<int>(state.range(2));
  const Layer l = make_layer(out, in, storage);
  const auto compute = storage == DType::bf16 ? memory::data_type::bf16 : memory::data_type::f32;
  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  const memory::desc src({rows, in}, compute, memory::format_tag::ab);
  const memory::desc wei({in, out}, compute, memory::format_tag::ba);
  const memory::desc bias({1, out}, memory::data_type::f32, memory::format_tag::ab);
  const memory::desc dst({rows, out}, memory::data_type::f32, memory::format_tag::ab);
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, wei, bias, dst), engine);
  const dnnl::matmul product(pd);
  const auto x = random_floats(static_cast<size_t>(rows) * in, 3);
  std::vector<uint16_t> x_bf16(x.size());
  convert_rows_to_bf16(x.data(), rows, in, x_bf16.data());
  std::vector<float> y(static_cast<size_t>(rows) * out);
  memory src_m(src, engine, storage == DType::bf16 ? static_cast<void*>(x_bf16.data()) : const_cast<float*>(x.data()));
  memory wei_m(wei, engine, const_cast<void*>(l.linear.weight.data));
  memory bias_m(bias, engine, const_cast<float*>(l.linear.bias.data()));
  memory dst_m(dst, engine, y.data());
  for (auto _ : state) {
    product.execute(stream, {{DNNL_ARG_SRC, src_m}, {DNNL_ARG_WEIGHTS, wei_m}, {DNNL_ARG_BIAS, bias_m},
                             {DNNL_ARG_DST, dst_m}});
    stream.wait();
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, 2.0 * rows * out * in);
  state.SetLabel(pd.impl_info_str());
}

// The int8 product as the encoder would run it: quantize x per row, u8 x s8 -> s32 on oneDNN, then
// the fp32 epilogue (dequantize, bias, optional GELU). fp16-stored weights, quantized once.
void MatmulInt8(benchmark::State& state, Int8Source source, bool gelu) {
  const int rows = static_cast<int>(state.range(0)), out = static_cast<int>(state.range(1)),
            in = static_cast<int>(state.range(2));
  const Layer l = make_layer(out, in, DType::f16);
  BlockSpec spec;
  spec.layer = &l.linear;
  spec.outputs = out;
  spec.inputs = in;
  if (gelu) spec.activation = Activation::gelu_erf;
  const Int8Linear product(spec, source);
  const auto x = random_floats(static_cast<size_t>(rows) * in, 3);
  std::vector<float> y(static_cast<size_t>(rows) * out);
  std::vector<float> scratch(product.scratch_floats(static_cast<size_t>(rows)));
  for (auto _ : state) {
    product(x.data(), rows, y.data(), scratch.data());
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, 2.0 * rows * out * in);
  state.SetLabel(product.kernel_name() + ", " + int8_kernel_isa());
}

// oneDNN's int8 matmul alone (u8 or s8 x s8 -> s32, weights in the layout it asks for): the kernel
// rate the whole int8 product above is bounded by.
void MatmulInt8KernelOnly(benchmark::State& state, dnnl::memory::data_type source) {
  using dnnl::memory;
  const int rows = static_cast<int>(state.range(0)), out = static_cast<int>(state.range(1)),
            in = static_cast<int>(state.range(2));
  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  const memory::desc src({rows, in}, source, memory::format_tag::ab);
  const memory::desc dst({rows, out}, memory::data_type::s32, memory::format_tag::ab);
  const dnnl::matmul::primitive_desc pd(
      dnnl::matmul::desc(src, memory::desc({in, out}, memory::data_type::s8, memory::format_tag::any), dst), engine);
  const dnnl::matmul product(pd);
  std::vector<int8_t> x(static_cast<size_t>(rows) * in, 3);
  std::vector<int32_t> y(static_cast<size_t>(rows) * out);
  memory weights(pd.weights_desc(), engine), src_memory(src, engine, x.data()), dst_memory(dst, engine, y.data());
  std::fill_n(static_cast<int8_t*>(weights.get_data_handle()), pd.weights_desc().get_size(), int8_t{5});
  for (auto _ : state) {
    product.execute(stream, {{DNNL_ARG_SRC, src_memory}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst_memory}});
    stream.wait();
  }
  set_flops(state, 2.0 * rows * out * in);
  state.SetLabel(pd.impl_info_str());
}

// bert-base's four products (QKV, attention output, FFN in, FFN out) at 512 and 2048 tokens.
void BertBaseShapes(benchmark::internal::Benchmark* b) {
  for (int rows : {512, 2048})
    for (auto [out, in] : {std::pair{2304, 768}, {768, 768}, {3072, 768}, {768, 3072}}) b->Args({rows, out, in});
  b->UseRealTime();
}
BENCHMARK_CAPTURE(MatmulInt8, u8_shifted, Int8Source::u8_shifted, false)->Apply(BertBaseShapes);
BENCHMARK_CAPTURE(MatmulInt8, s8, Int8Source::s8, false)->Apply(BertBaseShapes);
BENCHMARK_CAPTURE(MatmulInt8KernelOnly, u8, dnnl::memory::data_type::u8)->Apply(BertBaseShapes);
BENCHMARK_CAPTURE(MatmulInt8KernelOnly, s8, dnnl::memory::data_type::s8)->Apply(BertBaseShapes);
BENCHMARK_CAPTURE(MatmulOneDnn, f32_prepacked_bert, ComputePrecision::f32, WeightLayout::prepacked, false)->Apply(BertBaseShapes);
BENCHMARK_CAPTURE(MatmulOneDnn, f32_streamed_bert, ComputePrecision::f32, WeightLayout::streamed, false)->Apply(BertBaseShapes);
BENCHMARK_CAPTURE(MatmulOneDnn, bf16_prepacked_bert, ComputePrecision::bf16, WeightLayout::prepacked, false)->Apply(BertBaseShapes);
// The FFN input product as the encoder runs it (GELU in the epilogue), against the kernel alone above.
BENCHMARK_CAPTURE(MatmulInt8, u8_shifted_gelu, Int8Source::u8_shifted, true)
    ->Args({512, 3072, 768})
    ->Args({2048, 3072, 768})
    ->UseRealTime();

// The shapes of one layer of the workloads at 512 tokens (32 sequences of 16): fused QKV,
// attention output, FFN in, FFN out; bert-base (H 768) and StructBERT-large (H 1024); MiniLM (384).
void Shapes(benchmark::internal::Benchmark* b) {
  for (int h : {384, 768, 1024}) {
    const int ffn = 4 * h;
    for (auto [out, in] : {std::pair{3 * h, h}, {h, h}, {ffn, h}, {h, ffn}}) b->Args({512, out, in});
  }
  b->Args({2048, 3072, 768});
  b->Args({16, 3072, 768});
  b->UseRealTime();
}

BENCHMARK_CAPTURE(MatmulOpenBlas, f32, DType::f32)->Apply(Shapes);
BENCHMARK_CAPTURE(MatmulOpenBlas, f16_widened_per_call, DType::f16)->Apply(Shapes);
BENCHMARK_CAPTURE(MatmulOneDnn, f32_prepacked, ComputePrecision::f32, WeightLayout::prepacked, false)->Apply(Shapes);
BENCHMARK_CAPTURE(MatmulOneDnn, f32_streamed, ComputePrecision::f32, WeightLayout::streamed, false)->Apply(Shapes);
BENCHMARK_CAPTURE(MatmulOneDnn, bf16_prepacked, ComputePrecision::bf16, WeightLayout::prepacked, false)->Apply(Shapes);
// Prepacked against as-stored, at a small (512) and a large (8192, the default batch) token count.
void PackingShapes(benchmark::internal::Benchmark* b) {
  for (int rows : {512, 8192}) b->Args({rows, 3072, 768})->Args({rows, 768, 3072});
  b->UseRealTime();
}
BENCHMARK_CAPTURE(MatmulOneDnn, f32_prepacked_vs, ComputePrecision::f32, WeightLayout::prepacked, false)->Apply(PackingShapes);
BENCHMARK_CAPTURE(MatmulOneDnn, f32_streamed_vs, ComputePrecision::f32, WeightLayout::streamed, false)->Apply(PackingShapes);
BENCHMARK_CAPTURE(MatmulOneDnnUnpacked, f32_as_stored, DType::f32)->Apply(PackingShapes);
BENCHMARK_CAPTURE(MatmulOneDnn, bf16_prepacked_vs, ComputePrecision::bf16, WeightLayout::prepacked, false)->Apply(PackingShapes);
BENCHMARK_CAPTURE(MatmulOneDnnUnpacked, bf16_as_stored, DType::bf16)->Apply(PackingShapes);
BENCHMARK_CAPTURE(MatmulOneDnn, f32_prepacked_gelu, ComputePrecision::f32, WeightLayout::prepacked, true)->Args({512, 3072, 768})->UseRealTime();
BENCHMARK_CAPTURE(MatmulOneDnn, f32_streamed_gelu, ComputePrecision::f32, WeightLayout::streamed, true)->Args({512, 3072, 768})->UseRealTime();
BENCHMARK_CAPTURE(MatmulOneDnn, bf16_prepacked_gelu, ComputePrecision::bf16, WeightLayout::prepacked, true)->Args({512, 3072, 768})->UseRealTime();

// Args: sequence length, heads (head_dim 64), 32 sequences.
void Attention(benchmark::State& state) {
  const int length = static_cast<int>(state.range(0)), heads = static_cast<int>(state.range(1));
  const int head_dim = 64, hidden = heads * head_dim, sequences = 32;
  TokenBatch batch;
  for (int s = 0; s < sequences; ++s) batch.add({std::vector<int32_t>(length, 1), std::vector<int32_t>(length, 0)});
  const size_t tokens = batch.tokens();
  const auto qkv = random_floats(tokens * 3 * hidden, 5);
  std::vector<float> context(tokens * hidden),
      scores(static_cast<size_t>(compute_threads()) * length * length);
  for (auto _ : state) {
    self_attention(batch, heads, head_dim, qkv.data(), qkv.data() + hidden, qkv.data() + 2 * hidden,
                   3 * hidden, context.data(), scores.data());
    benchmark::DoNotOptimize(context.data());
  }
  set_flops(state, 4.0 * sequences * length * length * hidden);
}
BENCHMARK(Attention)->Args({16, 12})->Args({64, 12})->Args({128, 12})->Args({16, 16})->UseRealTime();

void LayerNormResidual(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0)), cols = static_cast<int>(state.range(1));
  auto x = random_floats(static_cast<size_t>(rows) * cols, 6);
  const auto residual = random_floats(x.size(), 7);
  const LayerNormWeights norm{random_floats(static_cast<size_t>(cols), 8), random_floats(static_cast<size_t>(cols), 9)};
  for (auto _ : state) {
    add_bias_residual_layer_norm(x.data(), nullptr, residual.data(), rows, cols, norm, 1e-12f);
    benchmark::DoNotOptimize(x.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * rows * cols * 12);
}
BENCHMARK(LayerNormResidual)->Args({512, 768})->UseRealTime();

void BiasGeluUnfused(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0)), cols = static_cast<int>(state.range(1));
  auto x = random_floats(static_cast<size_t>(rows) * cols, 10);
  const auto bias = random_floats(static_cast<size_t>(cols), 11);
  for (auto _ : state) {
    add_bias_activation(x.data(), bias.data(), rows, cols, Activation::gelu_erf);
    benchmark::DoNotOptimize(x.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * rows * cols * 8);
}
BENCHMARK(BiasGeluUnfused)->Args({512, 3072})->UseRealTime();

}  // namespace
}  // namespace simscore

BENCHMARK_MAIN();
