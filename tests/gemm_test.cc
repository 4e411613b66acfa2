// The matrix-product kernels against a double-precision reference: the OpenBLAS fallback
// (`linear`), oneDNN with prepacked fp32 weights, and the bf16 path (bf16 inputs and weights, fp32
// sums). Row counts cover 1, odd, and larger-than-a-block sizes, because every row count builds its
// own oneDNN primitive reading the same prepacked weights.
//
// Tolerances: fp32 products of K=96..768 terms of magnitude <= 1 carry relative rounding of a few
// 1e-7 per term; 1e-4 absolute (outputs are O(1..10)) leaves room for any summation order and is
// still 100x smaller than the error of dropping one term. The bf16 path is compared with a reference
// that rounds inputs and weights to bf16 first, so what is left is the fp32 accumulation: the same
// 1e-4. Against the unrounded fp32 reference the bf16 error is bounded by bf16's 2^-8 relative
// rounding of each factor: we check it is below 2e-2 and above 1e-4 (so the path really is bf16).

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/ops/convert.h"
#include "core/ops/gemm.h"
#include "core/ops/packed_linear.h"

namespace simscore {
namespace {

struct OwnedLinear {
  std::vector<float> weight_f32;
  std::vector<uint16_t> weight_half;
  Linear layer;
};

OwnedLinear random_linear(int out, int in, DType storage, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  OwnedLinear l;
  l.weight_f32.resize(static_cast<size_t>(out) * in);
  for (float& w : l.weight_f32) w = u(rng) * 0.2f;
  if (storage != DType::f32) {
    l.weight_half.resize(l.weight_f32.size());
    convert_from_f32(l.weight_f32.data(), storage, l.weight_half.data(), l.weight_f32.size());
    // The reference uses what is stored.
    convert_to_f32(l.weight_half.data(), storage, l.weight_f32.data(), l.weight_f32.size());
  }
  l.layer.weight = {storage, {out, in}, storage == DType::f32
                                            ? static_cast<const void*>(l.weight_f32.data())
                                            : static_cast<const void*>(l.weight_half.data())};
  l.layer.bias.resize(static_cast<size_t>(out));
  for (float& b : l.layer.bias) b = u(rng);
  return l;
}

std::vector<float> random_input(int rows, int in, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(rows) * in);
  for (float& v : x) v = u(rng);
  return x;
}

std::vector<float> round_to_bf16(const std::vector<float>& v) {
  std::vector<uint16_t> half(v.size());
  std::vector<float> out(v.size());
  convert_from_f32(v.data(), DType::bf16, half.data(), v.size());
  convert_to_f32(half.data(), DType::bf16, out.data(), v.size());
  return out;
}

// y = act(x W^T + b) in double.
std::vector<double> reference(const std::vector<float>& x, int rows, const std::vector<float>& w,
                              const std::vector<float>& bias, int out, int in, bool gelu) {
  std::vector<double> y(static_cast<size_t>(rows) * out);
  for (int r = 0; r < rows; ++r)
    for (int o = 0; o < out; ++o) {
      double sum = bias[o];
      for (int k = 0; k < in; ++k) sum += double{x[r * in + k]} * w[static_cast<size_t>(o) * in + k];
      y[static_cast<size_t>(r) * out + o] = gelu ? 0.5 * sum * (1.0 + std::erf(sum / std::sqrt(2.0))) : sum;
    }
  return y;
}

double max_abs_difference(const std::vector<double>& expected, const float* actual) {
  double worst = 0;
  for (size_t i = 0; i < expected.size(); ++i)
    worst = std::max(worst, std::abs(expected[i] - actual[i]));
  return worst;
}

const int kRowCounts[] = {1, 3, 16, 37, 64, 129, 300};

TEST(OpenBlasLinear, Fp32AndWidenedFp16MatchDoubleReference) {
  const int out = 96, in = 160;
  for (DType storage : {DType::f32, DType::f16, DType::bf16}) {
    const OwnedLinear l = random_linear(out, in, storage, 7);
    std::vector<float> scratch(linear_scratch_floats(l.layer));
    for (int rows : kRowCounts) {
      const auto x = random_input(rows, in, static_cast<uint32_t>(rows));
      std::vector<float> y(static_cast<size_t>(rows) * out);
      linear(x.data(), rows, l.layer, y.data(), scratch.data());
      EXPECT_LE(max_abs_difference(reference(x, rows, l.weight_f32, l.layer.bias, out, in, false), y.data()),
                1e-4)
          << dtype_name(storage) << " rows " << rows;
    }
  }
}

// A matrix past the 4 MiB widening scratch (2 blocks of 1,497 output rows and one of 6) is widened
// block by block into a scratch much smaller than itself, every block landing in its own columns,
// with a leading dimension too.
TEST(OpenBlasLinear, LargeHalfPrecisionMatricesAreWidenedInBlocks) {
  const int out = 3000, in = 700, rows = 7, ldy = out + 5;
  const OwnedLinear l = random_linear(out, in, DType::f16, 5);
  const size_t scratch_floats = linear_scratch_floats(l.layer);
  EXPECT_LE(scratch_floats, size_t{1} << 20);
  EXPECT_LT(scratch_floats, static_cast<size_t>(out) * in);
  std::vector<float> scratch(scratch_floats);
  const auto x = random_input(rows, in, 6);
  std::vector<float> y(static_cast<size_t>(rows) * ldy, -7.0f);
  linear(x.data(), rows, l.layer, y.data(), scratch.data(), ldy);
  const auto expected = reference(x, rows, l.weight_f32, l.layer.bias, out, in, false);
  double worst = 0;
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < out; ++c)
      worst = std::max(worst, std::abs(expected[static_cast<size_t>(r) * out + c] -
                                       y[static_cast<size_t>(r) * ldy + c]));
    for (int c = out; c < ldy; ++c) EXPECT_EQ(y[static_cast<size_t>(r) * ldy + c], -7.0f);
  }
  EXPECT_LE(worst, 1e-4);
}

TEST(OpenBlasLinear, WritesRowsWithALeadingDimension) {
  const int out = 32, in = 48, rows = 5, ldy = 3 * out;
  const OwnedLinear l = random_linear(out, in, DType::f32, 3);
  const auto x = random_input(rows, in, 4);
  std::vector<float> y(static_cast<size_t>(rows) * ldy, -7.0f);
  linear(x.data(), rows, l.layer, y.data() + out, nullptr, ldy);
  const auto expected = reference(x, rows, l.weight_f32, l.layer.bias, out, in, false);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < ldy; ++c) {
      const float got = y[static_cast<size_t>(r) * ldy + c];
      if (c >= out && c < 2 * out)
        EXPECT_NEAR(got, expected[static_cast<size_t>(r) * out + c - out], 1e-4);
      else
        EXPECT_EQ(got, -7.0f) << "row " << r << " column " << c << " is outside the output";
    }
}

TEST(PackedLinear, Fp32MatchesDoubleReferenceForEveryRowCount) {
  const int out = 192, in = 768;
  for (DType storage : {DType::f32, DType::f16}) {
    const OwnedLinear l = random_linear(out, in, storage, 11);
    const Linear* layers[] = {&l.layer};
    const PackedLinear packed(layers, ComputePrecision::f32);
    EXPECT_EQ(packed.bytes(), static_cast<size_t>(out) * in * sizeof(float));
    for (int rows : kRowCounts) {
      const auto x = random_input(rows, in, static_cast<uint32_t>(rows));
      std::vector<float> y(static_cast<size_t>(rows) * out);
      packed(x.data(), rows, y.data());
      EXPECT_LE(max_abs_difference(reference(x, rows, l.weight_f32, l.layer.bias, out, in, false), y.data()),
                1e-4)
          << dtype_name(storage) << " rows " << rows;
    }
  }
}

TEST(PackedLinear, StacksLayersAlongTheOutputLikeSeparateProducts) {
  const int in = 128, rows = 23;
  const OwnedLinear a = random_linear(64, in, DType::f16, 1), b = random_linear(32, in, DType::f16, 2),
                    c = random_linear(64, in, DType::f16, 3);
  const Linear* layers[] = {&a.layer, &b.layer, &c.layer};
  const PackedLinear packed(layers, ComputePrecision::f32);
  ASSERT_EQ(packed.out_features(), 160);
  const auto x = random_input(rows, in, 5);
  std::vector<float> y(static_cast<size_t>(rows) * 160);
  packed(x.data(), rows, y.data());
  int column = 0;
  for (const OwnedLinear* l : {&a, &b, &c}) {
    const int out = l->layer.out_features();
    const auto expected = reference(x, rows, l->weight_f32, l->layer.bias, out, in, false);
    for (int r = 0; r < rows; ++r)
      for (int o = 0; o < out; ++o)
        EXPECT_NEAR(y[static_cast<size_t>(r) * 160 + column + o], expected[static_cast<size_t>(r) * out + o], 1e-4);
    column += out;
  }
}

TEST(PackedLinear, FusedGeluIsTheExactErfGelu) {
  const int out = 256, in = 96;
  const OwnedLinear l = random_linear(out, in, DType::f32, 13);
  const Linear* layers[] = {&l.layer};
  const PackedLinear packed(layers, ComputePrecision::f32, Activation::gelu_erf);
  for (int rows : kRowCounts) {
    const auto x = random_input(rows, in, 100 + static_cast<uint32_t>(rows));
    std::vector<float> y(static_cast<size_t>(rows) * out);
    packed(x.data(), rows, y.data());
    EXPECT_LE(max_abs_difference(reference(x, rows, l.weight_f32, l.layer.bias, out, in, true), y.data()),
              1e-4)
        << "rows " << rows;
  }
}

class Bf16Product : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!bf16_support().available) GTEST_SKIP() << "no native bf16 products: " << bf16_support().description;
  }
};

TEST_F(Bf16Product, AccumulatesInFp32) {
  const int out = 192, in = 768;
  const OwnedLinear l = random_linear(out, in, DType::bf16, 17);
  const Linear* layers[] = {&l.layer};
  const PackedLinear packed(layers, ComputePrecision::bf16);
  EXPECT_EQ(packed.bytes(), static_cast<size_t>(out) * in * 2);
  for (int rows : kRowCounts) {
    const auto x = random_input(rows, in, static_cast<uint32_t>(rows));
    std::vector<uint16_t> x_bf16(x.size());
    convert_rows_to_bf16(x.data(), static_cast<size_t>(rows), static_cast<size_t>(in), x_bf16.data());
    std::vector<float> y(static_cast<size_t>(rows) * out);
    packed(x_bf16.data(), rows, y.data());
    const auto rounded = reference(round_to_bf16(x), rows, l.weight_f32, l.layer.bias, out, in, false);
    EXPECT_LE(max_abs_difference(rounded, y.data()), 1e-4) << "rows " << rows;
  }
}

TEST_F(Bf16Product, StaysWithinBf16RoundingOfTheFp32Product) {
  const int out = 128, in = 384, rows = 64;
  const OwnedLinear l = random_linear(out, in, DType::f32, 19);
  const Linear* layers[] = {&l.layer};
  const PackedLinear packed(layers, ComputePrecision::bf16);
  const auto x = random_input(rows, in, 23);
  std::vector<uint16_t> x_bf16(x.size());
  convert_rows_to_bf16(x.data(), rows, in, x_bf16.data());
  std::vector<float> y(static_cast<size_t>(rows) * out);
  packed(x_bf16.data(), rows, y.data());
  const double error = max_abs_difference(reference(x, rows, l.weight_f32, l.layer.bias, out, in, false), y.data());
  EXPECT_LE(error, 2e-2);
  EXPECT_GE(error, 1e-4) << "no bf16 rounding visible: is this really the bf16 path?";
}

TEST_F(Bf16Product, GeluEpilogueWritesBf16ForTheNextProduct) {
  const int out = 128, in = 64, rows = 9;
  const OwnedLinear l = random_linear(out, in, DType::bf16, 29);
  const Linear* layers[] = {&l.layer};
  const PackedLinear packed(layers, ComputePrecision::bf16, Activation::gelu_erf, DType::bf16);
  const auto x = random_input(rows, in, 31);
  std::vector<uint16_t> x_bf16(x.size()), y_bf16(static_cast<size_t>(rows) * out);
  convert_rows_to_bf16(x.data(), rows, in, x_bf16.data());
  packed(x_bf16.data(), rows, y_bf16.data());
  std::vector<float> y(y_bf16.size());
  convert_to_f32(y_bf16.data(), DType::bf16, y.data(), y.size());
  const auto expected = reference(round_to_bf16(x), rows, l.weight_f32, l.layer.bias, out, in, true);
  // The fp32 result rounded once to bf16: within half a bf16 ulp (2^-9 relative) plus the sums.
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(y[i], expected[i], std::abs(expected[i]) * (1.0 / 256) + 1e-4) << i;
}

TEST(ComputePrecision, Bf16OnlyForBf16WeightsWithNativeSupportAndOneDnn) {
  EXPECT_EQ(compute_precision_for(DType::f32), ComputePrecision::f32);
  EXPECT_EQ(compute_precision_for(DType::f16), ComputePrecision::f32);
  EXPECT_EQ(compute_precision_for(DType::bf16),
            bf16_support().available ? ComputePrecision::bf16 : ComputePrecision::f32);
  set_gemm_backend(GemmBackend::openblas);
  EXPECT_EQ(compute_precision_for(DType::bf16), ComputePrecision::f32);
  EXPECT_NE(gemm_kernel_name().find("OpenBLAS"), std::string::npos) << gemm_kernel_name();
  set_gemm_backend(GemmBackend::onednn);
  EXPECT_NE(gemm_kernel_name().find("oneDNN"), std::string::npos) << gemm_kernel_name();
}

}  // namespace
}  // namespace simscore
