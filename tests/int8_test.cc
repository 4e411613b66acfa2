// The int8 product (core/ops/int8_linear.h): exact against a double-precision product when inputs and
// weights are integers it represents exactly (each row's largest magnitude 127, so both scales are
// 1), including the worst case for kernels that sum byte products in 16 bits; within the stated
// quantization bound of the fp32 product on random data; its epilogue; and its refusals.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/errors.h"
#include "core/ops/activation.h"
#include "core/ops/convert.h"
#include "core/ops/int8_linear.h"

namespace simscore {
namespace {

struct Matrix {
  std::vector<float> values;  // [out, in]
  std::vector<uint16_t> half;
  Linear linear;
};

Matrix make_matrix(int out, int in, std::vector<float> values, std::vector<float> bias, DType storage) {
  Matrix m;
  m.values = std::move(values);
  const void* data = m.values.data();
  if (storage != DType::f32) {
    m.half.resize(m.values.size());
    convert_from_f32(m.values.data(), storage, m.half.data(), m.values.size());
    data = m.half.data();
  }
  m.linear.weight = {storage, {out, in}, data};
  m.linear.bias = std::move(bias);
  return m;
}

// Integers in [-limit, limit], each row of `cols` holding a +-limit (so its int8 scale is exactly 1):
// 127 for activations, int8_weight_limit() for weights.
std::vector<float> integer_rows(int rows, int cols, uint32_t seed, int limit = 127) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> value(-limit, limit), column(0, cols - 1);
  std::vector<float> v(static_cast<size_t>(rows) * cols);
  for (float& x : v) x = static_cast<float>(value(rng));
  for (int r = 0; r < rows; ++r)
    v[static_cast<size_t>(r) * cols + column(rng)] = static_cast<float>(r % 2 ? -limit : limit);
  return v;
}
std::vector<float> integer_weights(int rows, int cols, uint32_t seed) {
  return integer_rows(rows, cols, seed, int8_weight_limit());
}

std::vector<float> uniform(size_t n, float range, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-range, range);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// y[rows, out] = x W^T + b in double.
std::vector<double> reference(const std::vector<float>& x, int rows, const Matrix& m) {
  const int out = m.linear.out_features(), in = m.linear.in_features();
  std::vector<double> y(static_cast<size_t>(rows) * out);
  for (int r = 0; r < rows; ++r)
    for (int o = 0; o < out; ++o) {
      double s = m.linear.bias[static_cast<size_t>(o)];
      for (int i = 0; i < in; ++i)
        s += static_cast<double>(x[static_cast<size_t>(r) * in + i]) * m.values[static_cast<size_t>(o) * in + i];
      y[static_cast<size_t>(r) * out + o] = s;
    }
  return y;
}

// Room for the product's quantized rows and sums, on a cache line as the arena's buffers are.
struct Scratch {
  explicit Scratch(size_t bytes) : floats((bytes + 3) / 4 + 16) {}
  float* get() { return reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(floats.data()) + 63) / 64 * 64); }
  std::vector<float> floats;
};
void run(const Int8Linear& product, const float* x, int rows, float* y) {
  Scratch scratch(Int8Linear::scratch_bytes(rows, product.inputs(), product.outputs()));
  product(x, rows, y, scratch.get());
}

BlockSpec whole(const Matrix& m) {
  BlockSpec spec;
  spec.layer = &m.linear;
  spec.outputs = m.linear.out_features();
  spec.inputs = m.linear.in_features();
  return spec;
}

class Int8Sources : public ::testing::TestWithParam<Int8Source> {};

TEST_P(Int8Sources, ExactOnIntegersForEveryRowCount) {
  // Sums stay below 2^24, so the fp32 epilogue represents them exactly too.
  const int out = 96, in = 256;
  const Matrix m = make_matrix(out, in, integer_weights(out, in, 1), integer_rows(1, out, 2), DType::f32);
  const Int8Linear product(whole(m), GetParam());
  for (int rows : {1, 2, 3, 7, 16, 31, 64, 100, 255, 256, 257, 300}) {
    const auto x = integer_rows(rows, in, 10 + rows);
    std::vector<float> y(static_cast<size_t>(rows) * out);
    run(product, x.data(), rows, y.data());
    const auto expected = reference(x, rows, m);
    for (size_t i = 0; i < y.size(); ++i)
      ASSERT_EQ(static_cast<double>(y[i]), expected[i]) << "rows " << rows << ", element " << i;
  }
}

// The product runs the kernel on blocks of rows (about 1 MiB of sums each: 64 rows at 4,096
// outputs) and writes the sums into y when there is no running sum and y is dense: every row's
// bytes are the same in a batch of several blocks as alone, with and without the running sum, into
// a dense and a wider y (whose columns past the product stay untouched).
TEST_P(Int8Sources, ARowsBytesDoNotDependOnItsBatch) {
  const int out = 4096, in = 48, rows = 150;
  const Matrix m = make_matrix(out, in, uniform(static_cast<size_t>(out) * in, 0.5f, 30), uniform(out, 0.1f, 31),
                               DType::f32);
  const auto x = uniform(static_cast<size_t>(rows) * in, 2.0f, 32);
  for (int ldy : {out, out + 5})
    for (bool accumulate : {false, true}) {
      const auto start = uniform(static_cast<size_t>(rows) * ldy, 1.0f, 33);
      BlockSpec spec = whole(m);
      spec.accumulate = accumulate;
      spec.activation = Activation::gelu_erf;
      spec.ldy = ldy;
      const Int8Linear product(spec, GetParam());
      auto batch = start;
      run(product, x.data(), rows, batch.data());
      for (int r = 0; r < rows; ++r) {
        std::vector<float> alone(start.begin() + static_cast<ptrdiff_t>(r) * ldy,
                                 start.begin() + static_cast<ptrdiff_t>(r + 1) * ldy);
        run(product, x.data() + static_cast<size_t>(r) * in, 1, alone.data());
        ASSERT_EQ(std::memcmp(alone.data(), batch.data() + static_cast<size_t>(r) * ldy, sizeof(float) * ldy), 0)
            << "row " << r << ", ldy " << ldy << ", accumulate " << accumulate;
      }
    }
}

TEST_P(Int8Sources, ExactAtTheExtremes) {
  // Every input at +-127 and weight at +-limit: shifted to u8, these are where kernels that add two
  // byte products in 16 bits (AVX2's vpmaddubsw) saturate unless the weights keep to 7 bits.
  const float limit = static_cast<float>(int8_weight_limit());
  const int out = 64, in = 512, rows = 40;
  std::vector<float> w(static_cast<size_t>(out) * in), x(static_cast<size_t>(rows) * in);
  for (int o = 0; o < out; ++o)
    for (int i = 0; i < in; ++i) w[static_cast<size_t>(o) * in + i] = ((o >> (i % 4)) & 1) ? -limit : limit;
  for (int r = 0; r < rows; ++r)
    for (int i = 0; i < in; ++i) x[static_cast<size_t>(r) * in + i] = ((r + i / 8) % 3 == 0) ? -127.0f : 127.0f;
  const Matrix m = make_matrix(out, in, w, std::vector<float>(out, 0.0f), DType::f32);
  const Int8Linear product(whole(m), GetParam());
  std::vector<float> y(static_cast<size_t>(rows) * out);
  run(product, x.data(), rows, y.data());
  const auto expected = reference(x, rows, m);
  for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(static_cast<double>(y[i]), expected[i]) << "element " << i;
}

TEST_P(Int8Sources, WithinTheQuantizationBoundOfTheFp32Product) {
  // Rounding x and W to their steps s_x = max|x|/127, s_w = max|W|/limit moves each by at most half
  // a step, so  |y_int8 - y| <= s_w/2 sum|x| + s_x/2 sum|W| + k s_x s_w / 4  (plus fp32 rounding).
  // On random data the typical error is far below that bound: relative RMS under 3% with 7-bit
  // weights (measured: 1.1%, and 2.1% for the one row whose outlier makes its step 4.5x coarser),
  // under 2% with 8-bit ones.
  const int out = 256, in = 768;
  for (DType storage : {DType::f32, DType::f16, DType::bf16}) {
    Matrix m = make_matrix(out, in, uniform(static_cast<size_t>(out) * in, 0.05f, 3),
                           uniform(static_cast<size_t>(out), 0.5f, 4), storage);
    // The reference multiplies by the weights as stored.
    if (storage != DType::f32) convert_to_f32(m.half.data(), storage, m.values.data(), m.values.size());
    const Int8Linear product(whole(m), GetParam());
    for (int rows : {1, 5, 128, 300}) {
      auto x = uniform(static_cast<size_t>(rows) * in, 2.0f, 5 + rows);
      x[0] = 9.0f;  // an outlier: row 0's scale is coarser than the others'
      std::vector<float> y(static_cast<size_t>(rows) * out);
      run(product, x.data(), rows, y.data());
      const auto expected = reference(x, rows, m);
      double error2 = 0, norm2 = 0;
      for (int r = 0; r < rows; ++r) {
        double x_max = 0, x_sum = 0;
        for (int i = 0; i < in; ++i) {
          const double v = std::fabs(x[static_cast<size_t>(r) * in + i]);
          x_max = std::max(x_max, v);
          x_sum += v;
        }
        for (int o = 0; o < out; ++o) {
          double w_max = 0, w_sum = 0;
          for (int i = 0; i < in; ++i) {
            const double v = std::fabs(m.values[static_cast<size_t>(o) * in + i]);
            w_max = std::max(w_max, v);
            w_sum += v;
          }
          const double s_x = x_max / 127, s_w = w_max / int8_weight_limit();
          const double bound = s_w / 2 * x_sum + s_x / 2 * w_sum + in * s_x * s_w / 4 + 1e-4;
          const size_t i = static_cast<size_t>(r) * out + o;
          const double error = std::fabs(y[i] - expected[i]);
          ASSERT_LE(error, bound) << dtype_name(storage) << " rows " << rows << " (" << r << ", " << o << ")";
          error2 += error * error;
          norm2 += expected[i] * expected[i];
        }
      }
      EXPECT_LT(std::sqrt(error2 / norm2), int8_weight_limit() == 127 ? 0.02 : 0.03) << dtype_name(storage) << " rows " << rows;
    }
  }
}

TEST_P(Int8Sources, EpilogueSumsAndActivatesInFp32) {
  // A column block of a row block, written into a wider y: y += product, then GELU (erf).
  const int out = 80, in = 200, rows = 33, ldy = 100;
  auto w = integer_weights(out, in, 6);
  for (int o = 0; o < out; ++o) w[static_cast<size_t>(o) * in + 40] = static_cast<float>(int8_weight_limit());
  const Matrix m = make_matrix(out, in, w, uniform(out, 50.0f, 7), DType::f32);
  const BlockSpec spec{.layer = &m.linear, .first_out = 16, .outputs = 48, .first_in = 40, .inputs = 120,
                       .accumulate = true, .activation = Activation::gelu_erf, .ldy = ldy};
  const Int8Linear product(spec, GetParam());
  const auto x = integer_rows(rows, spec.inputs, 8);
  const auto before = uniform(static_cast<size_t>(rows) * ldy, 100.0f, 9);
  auto y = before;
  run(product, x.data(), rows, y.data());
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < ldy; ++c) {
      const size_t i = static_cast<size_t>(r) * ldy + c;
      if (c >= spec.outputs) {
        ASSERT_EQ(y[i], before[i]) << "a column outside the block changed";
        continue;
      }
      double s = m.linear.bias[static_cast<size_t>(spec.first_out + c)];
      for (int k = 0; k < spec.inputs; ++k)
        s += static_cast<double>(x[static_cast<size_t>(r) * spec.inputs + k]) *
             m.values[static_cast<size_t>(spec.first_out + c) * in + spec.first_in + k];
      float v = static_cast<float>(s + before[i]);
      add_bias_activation(&v, nullptr, 1, 1, Activation::gelu_erf);
      ASSERT_NEAR(y[i], v, 1e-6 * std::max(1.0f, std::fabs(v))) << r << ", " << c;
    }
}

INSTANTIATE_TEST_SUITE_P(Int8, Int8Sources, ::testing::Values(Int8Source::u8_shifted, Int8Source::s8),
                         [](const auto& info) { return info.param == Int8Source::s8 ? "s8" : "u8_shifted"; });

TEST(Int8Linear, ZeroRowsAndZeroInputs) {
  const Matrix m = make_matrix(8, 16, integer_weights(8, 16, 1), std::vector<float>(8, 1.5f), DType::f32);
  const Int8Linear product(whole(m));
  std::vector<float> y(8 * 2, -1.0f), x(16 * 2, 0.0f);
  run(product, x.data(), 0, y.data());
  EXPECT_EQ(y[0], -1.0f);  // no rows: nothing written
  run(product, x.data(), 2, y.data());
  for (float v : y) EXPECT_EQ(v, 1.5f);  // an all-zero row has scale 0: the bias alone
}

TEST(Int8Linear, NonFiniteInputRowsGiveNaNNotANumber) {
  const Matrix m = make_matrix(8, 16, integer_weights(8, 16, 1), std::vector<float>(8, 0.0f), DType::f32);
  const Int8Linear product(whole(m));
  auto x = integer_rows(2, 16, 3);
  x[20] = std::numeric_limits<float>::infinity();
  std::vector<float> y(16);
  run(product, x.data(), 2, y.data());
  for (int c = 0; c < 8; ++c) {
    EXPECT_FALSE(std::isnan(y[c]));
    EXPECT_TRUE(std::isnan(y[8 + c]));
  }
}

TEST(Int8Linear, Refusals) {
  const Matrix m = make_matrix(8, 16, integer_weights(8, 16, 1), std::vector<float>(8, 0.0f), DType::f32);
  BlockSpec outside = whole(m);
  outside.first_out = 4;
  EXPECT_THROW(Int8Linear{outside}, ModelError);
  BlockSpec wide = whole(m);
  wide.inputs = 17;
  EXPECT_THROW(Int8Linear{wide}, ModelError);
  BlockSpec half_output = whole(m);
  half_output.output = DType::bf16;
  EXPECT_THROW(Int8Linear{half_output}, ModelError);
  auto values = integer_weights(8, 16, 1);
  values[40] = std::nanf("");
  const Matrix broken = make_matrix(8, 16, values, std::vector<float>(8, 0.0f), DType::f32);
  EXPECT_THROW(Int8Linear{whole(broken)}, ModelError);
}

}  // namespace
}  // namespace simscore
