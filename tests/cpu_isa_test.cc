// Every variant of simscore's own kernels (core/cpu/isa.h) that this CPU can run computes the same
// thing: each against a double-precision implementation written here, on the same inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <random>
#include <vector>

#include "core/cpu/isa.h"
#include "core/encoder/attention.h"
#include "core/encoder/workspace.h"
#include "core/ops/activation.h"
#include "core/ops/convert.h"
#include "core/ops/layer_norm.h"

namespace simscore {
namespace {

std::vector<CpuIsa> available_isas() {
  std::vector<CpuIsa> isas;
  for (CpuIsa isa : {CpuIsa::baseline, CpuIsa::avx2, CpuIsa::avx512})
    if (cpu_isa_available(isa)) isas.push_back(isa);
  return isas;
}

std::vector<float> random_values(size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

// Restores the variant chosen at start-up after each test.
class CpuIsaTest : public ::testing::Test {
 protected:
  void TearDown() override { set_cpu_isa(initial_); }
  CpuIsa initial_ = cpu_isa();
};

TEST_F(CpuIsaTest, BaselineIsAlwaysThereAndTheBestIsChosen) {
  EXPECT_TRUE(cpu_isa_available(CpuIsa::baseline));
  if (!std::getenv("SIMSCORE_CPU_ISA") && !std::getenv("ONEDNN_MAX_CPU_ISA")) {
    EXPECT_EQ(initial_, available_isas().back());
  }
  for (CpuIsa isa : {CpuIsa::avx2, CpuIsa::avx512})
    if (!cpu_isa_available(isa)) {
      EXPECT_THROW(set_cpu_isa(isa), std::invalid_argument);
    }
}

TEST_F(CpuIsaTest, LayerNormMatchesDoublePrecision) {
  const int rows = 37, cols = 384;
  const auto input = random_values(static_cast<size_t>(rows) * cols, 1, 3.0f);
  const auto residual = random_values(input.size(), 2);
  const auto bias = random_values(cols, 3);
  LayerNormWeights norm{random_values(cols, 4), random_values(cols, 5)};
  for (CpuIsa isa : available_isas()) {
    SCOPED_TRACE(std::string(cpu_isa_name(isa)));
    set_cpu_isa(isa);
    auto x = input;
    add_bias_residual_layer_norm(x.data(), bias.data(), residual.data(), rows, cols, norm, 1e-12f);
    for (int r = 0; r < rows; ++r) {
      std::vector<double> v(cols);
      double mean = 0, variance = 0;
      for (int c = 0; c < cols; ++c) {
        const size_t i = static_cast<size_t>(r) * cols + c;
        v[c] = double(input[i]) + bias[c] + residual[i];
        mean += v[c] / cols;
      }
      for (int c = 0; c < cols; ++c) variance += (v[c] - mean) * (v[c] - mean) / cols;
      for (int c = 0; c < cols; ++c) {
        const double expected = (v[c] - mean) / std::sqrt(variance + 1e-12) * norm.gamma[c] + norm.beta[c];
        ASSERT_NEAR(x[static_cast<size_t>(r) * cols + c], expected, 2e-5 * (1 + std::abs(expected)));
      }
    }
  }
}

TEST_F(CpuIsaTest, GeluMatchesDoublePrecision) {
  const int rows = 5, cols = 1536;
  const auto input = random_values(static_cast<size_t>(rows) * cols, 6, 4.0f);
  const auto bias = random_values(cols, 7);
  for (CpuIsa isa : available_isas()) {
    SCOPED_TRACE(std::string(cpu_isa_name(isa)));
    set_cpu_isa(isa);
    for (Activation activation : {Activation::gelu_erf, Activation::gelu_tanh, Activation::relu}) {
      auto x = input;
      add_bias_activation(x.data(), bias.data(), rows, cols, activation);
      for (size_t i = 0; i < x.size(); ++i) {
        const double v = double(input[i]) + bias[i % cols];
        const double expected =
            activation == Activation::gelu_erf    ? 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)))
            : activation == Activation::gelu_tanh ? 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)))
                                                  : std::max(v, 0.0);
        ASSERT_NEAR(x[i], expected, 1e-5 * (1 + std::abs(expected))) << "activation " << int(activation);
      }
    }
  }
}

TEST_F(CpuIsaTest, HalfPrecisionConversionIsExactRounding) {
  auto values = random_values(4099, 8, 100.0f);
  values.push_back(65504.0f);
  values.push_back(-0.0f);
  values.push_back(5.96e-8f);  // fp16 subnormal
  for (CpuIsa isa : available_isas()) {
    SCOPED_TRACE(std::string(cpu_isa_name(isa)));
    set_cpu_isa(isa);
    for (DType half : {DType::f16, DType::bf16}) {
      std::vector<uint16_t> stored(values.size());
      std::vector<float> widened(values.size());
      convert_from_f32(values.data(), half, stored.data(), values.size());
      convert_to_f32(stored.data(), half, widened.data(), values.size());
      // The baseline variant's results are the reference for round-to-nearest-even; every
      // variant must give the same bits.
      set_cpu_isa(CpuIsa::baseline);
      std::vector<uint16_t> reference(values.size());
      convert_from_f32(values.data(), half, reference.data(), values.size());
      set_cpu_isa(isa);
      ASSERT_EQ(stored, reference);
      for (size_t i = 0; i < values.size(); ++i) {
        const double relative = half == DType::f16 ? 1.0 / 2048 : 1.0 / 256;
        ASSERT_NEAR(widened[i], values[i], std::abs(values[i]) * relative + 6e-8) << i;
      }
    }
  }
}

TEST_F(CpuIsaTest, AttentionMatchesDoublePrecision) {
  const int heads = 4, head_dim = 16, hidden = heads * head_dim;
  TokenBatch batch;
  for (int length : {7, 1, 30, 12}) {
    Encoding e;
    e.ids.assign(static_cast<size_t>(length), 1);
    e.type_ids.assign(static_cast<size_t>(length), 0);
    batch.add(e);
  }
  const size_t tokens = batch.tokens();
  const auto qkv = random_values(tokens * 3 * hidden, 9);
  const size_t scores_size = ActivationLayout::scores_stride(batch.max_length()) * 64;
  for (CpuIsa isa : available_isas()) {
    SCOPED_TRACE(std::string(cpu_isa_name(isa)));
    set_cpu_isa(isa);
    std::vector<float> context(tokens * hidden), scores(scores_size);
    self_attention(batch, heads, head_dim, qkv.data(), qkv.data() + hidden, qkv.data() + 2 * hidden,
                   3 * hidden, context.data(), scores.data());
    for (size_t s = 0; s < batch.sequences(); ++s) {
      const size_t first = batch.offsets[s];
      const int length = batch.lengths[s];
      for (int h = 0; h < heads; ++h)
        for (int i = 0; i < length; ++i) {
          auto at = [&](int which, int token, int d) {
            return double(qkv[(first + token) * 3 * hidden + which * hidden + h * head_dim + d]);
          };
          std::vector<double> p(length);
          double top = -1e300, sum = 0;
          for (int j = 0; j < length; ++j) {
            double dot = 0;
            for (int d = 0; d < head_dim; ++d) dot += at(0, i, d) * at(1, j, d);
            p[j] = dot / std::sqrt(double(head_dim));
            top = std::max(top, p[j]);
          }
          for (double& x : p) sum += (x = std::exp(x - top));
          for (int d = 0; d < head_dim; ++d) {
            double expected = 0;
            for (int j = 0; j < length; ++j) expected += p[j] / sum * at(2, j, d);
            ASSERT_NEAR(context[(first + i) * hidden + h * head_dim + d], expected, 1e-5);
          }
        }
    }
  }
}

}  // namespace
}  // namespace simscore
