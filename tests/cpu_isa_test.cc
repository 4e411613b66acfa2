// Every variant of simscore's own kernels (core/cpu/isa.h) that this CPU can run computes the same
// thing: each against a double-precision implementation written here, on the same inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <random>
#include <string>
#include <vector>

#include "core/cpu/isa.h"
#include "core/encoder/attention.h"
#include "core/encoder/workspace.h"
#include "core/ops/activation.h"
#include "core/ops/convert.h"
#include "core/ops/int8_rows.h"
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

// The int8 product's input pass (core/ops/int8_rows.h): every variant gives the bytes nearbyint
// gives (ties to even) with the row's own scale, at row lengths that end in every tail, on rows
// with exact ties, a zero row and rows holding an infinity or a NaN; and a row's bytes are the same
// alone as in a batch.
TEST_F(CpuIsaTest, Int8QuantizeRowsRoundsToNearestEven) {
  for (int cols : {1, 7, 8, 9, 16, 31, 33, 384, 771}) {
    const int rows = 6;
    auto x = random_values(static_cast<size_t>(rows) * cols, 10, 2.0f);
    // Row 1: largest magnitude 127, so the scale is 1 and halves are exact ties.
    for (int c = 0; c < cols; ++c) x[static_cast<size_t>(cols) + c] = static_cast<float>(c % 9) - 4.5f;
    x[static_cast<size_t>(cols)] = -127.0f;
    std::fill_n(x.begin() + 2 * cols, cols, 0.0f);                           // row 2: zeros
    x[3 * static_cast<size_t>(cols) + cols / 2] = INFINITY;                    // row 3
    x[4 * static_cast<size_t>(cols) + cols - 1] = std::nanf("");               // row 4
    for (CpuIsa isa : available_isas()) {
      SCOPED_TRACE(std::string(cpu_isa_name(isa)) + ", " + std::to_string(cols) + " columns");
      set_cpu_isa(isa);
      for (int shift : {0, 128}) {
        std::vector<uint8_t> q(x.size()), alone(static_cast<size_t>(cols));
        std::vector<float> scales(rows);
        quantize_rows(x.data(), rows, cols, shift, q.data(), scales.data());
        for (int r = 0; r < rows; ++r) {
          const float* v = x.data() + static_cast<size_t>(r) * cols;
          float largest = 0;
          bool finite = true;
          for (int c = 0; c < cols; ++c) {
            largest = std::max(largest, std::fabs(v[c]));
            finite = finite && std::isfinite(v[c]);
          }
          if (!finite) {
            EXPECT_TRUE(std::isnan(scales[r])) << "row " << r;
          } else {
            EXPECT_EQ(scales[r], largest / 127.0f) << "row " << r;
          }
          for (int c = 0; c < cols; ++c) {
            const int expected =
                finite && largest > 0 ? static_cast<int>(std::nearbyint(v[c] * (127.0f / largest))) : 0;
            ASSERT_EQ(q[static_cast<size_t>(r) * cols + c], static_cast<uint8_t>(expected + shift))
                << "row " << r << ", column " << c;
          }
          float alone_scale = 0;
          quantize_rows(v, 1, cols, shift, alone.data(), &alone_scale);
          ASSERT_TRUE(std::equal(alone.begin(), alone.end(), q.begin() + static_cast<ptrdiff_t>(r) * cols));
        }
      }
    }
  }
}

// The int8 product's output pass: every variant against double precision, with and without bias,
// running sum and activation, into rows wider than the product (a column block of y), and in place.
TEST_F(CpuIsaTest, Int8DequantizeRowsMatchesDoublePrecision) {
  const int rows = 5, n = 77, ldy = 100;
  std::mt19937 rng(11);
  std::uniform_int_distribution<int32_t> integer(-300000, 300000);
  std::vector<int32_t> sums(static_cast<size_t>(rows) * n), shift_sums(n);
  for (auto& v : sums) v = integer(rng);
  for (auto& v : shift_sums) v = integer(rng) / 8;
  const auto column_scales = random_values(n, 12, 1e-3f), row_scales = random_values(rows, 13, 1e-2f);
  const auto bias = random_values(n, 14), start = random_values(static_cast<size_t>(rows) * ldy, 15);
  for (CpuIsa isa : available_isas()) {
    SCOPED_TRACE(std::string(cpu_isa_name(isa)));
    set_cpu_isa(isa);
    for (bool with_bias : {false, true})
      for (bool accumulate : {false, true})
        for (auto activation : {std::optional<Activation>{}, std::optional(Activation::gelu_erf)}) {
          const Int8Epilogue epilogue{.shift_sums = shift_sums.data(), .column_scales = column_scales.data(),
                                      .bias = with_bias ? bias.data() : nullptr, .accumulate = accumulate,
                                      .activation = activation};
          auto y = start;
          dequantize_rows(sums.data(), n, row_scales.data(), rows, n, epilogue, y.data(), ldy);
          if (!accumulate) {  // the sums in y's own rows, converted in place: the same bytes
            auto in_place = start;
            for (int r = 0; r < rows; ++r)
              std::memcpy(in_place.data() + static_cast<size_t>(r) * ldy, sums.data() + static_cast<size_t>(r) * n,
                          sizeof(int32_t) * n);
            dequantize_rows(reinterpret_cast<const int32_t*>(in_place.data()), ldy, row_scales.data(), rows, n,
                            epilogue, in_place.data(), ldy);
            ASSERT_EQ(std::memcmp(in_place.data(), y.data(), sizeof(float) * y.size()), 0);
          }
          for (int r = 0; r < rows; ++r)
            for (int c = 0; c < ldy; ++c) {
              const size_t i = static_cast<size_t>(r) * ldy + c;
              if (c >= n) {
                ASSERT_EQ(y[i], start[i]) << "outside the block";
                continue;
              }
              double v = double(sums[static_cast<size_t>(r) * n + c] - shift_sums[c]) * column_scales[c] *
                         row_scales[r];
              if (with_bias) v += bias[c];
              if (accumulate) v += start[i];
              if (activation) v = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
              ASSERT_NEAR(y[i], v, 1e-5 * (1 + std::abs(v))) << "bias " << with_bias << ", accumulate " << accumulate;
            }
        }
  }
}

}  // namespace
}  // namespace simscore
