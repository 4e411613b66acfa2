// The matrix-product kernels against a double-precision reference: the OpenBLAS fallback
// (`linear`), oneDNN fp32 with weights prepacked or streamed (widened as stored into a scratch, a
// block at a time), and the bf16 path (bf16 inputs and weights, fp32 sums). Row counts cover 1, odd,
// and larger-than-a-block sizes, because every row count builds its own oneDNN primitive reading the
// same weights.
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

#include "core/errors.h"
#include "core/ops/convert.h"
#include "core/ops/gemm.h"
#include "core/ops/linear_block.h"
#include "tests/random_linear.h"

namespace simscore {
namespace {

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

// A matrix past the 4 MiB widening scratch (blocks of 1,008, 1,008 and 984 output rows) is widened
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

// The whole matrix as one block.
BlockSpec whole(const Linear& layer, std::optional<Activation> activation = std::nullopt,
                DType output = DType::f32) {
  return {.layer = &layer, .first_out = 0, .outputs = layer.out_features(), .first_in = 0,
          .inputs = layer.in_features(), .activation = activation, .output = output};
}

// Runs `block` with a scratch of exactly the size it asks for, guarded on both sides.
void run_guarded(const LinearBlock& block, const float* x, int rows, float* y) {
  const size_t need = block.scratch_floats();
  std::vector<float> scratch(need + 32, -3.0f);
  block(x, rows, y, scratch.data() + 16);
  for (size_t i = 0; i < 16; ++i) {
    ASSERT_EQ(scratch[i], -3.0f) << "scratch underrun";
    ASSERT_EQ(scratch[need + 16 + i], -3.0f) << "scratch overrun";
  }
}

// fp32 products, with weights prepacked and streamed.
class Fp32Product : public ::testing::TestWithParam<WeightLayout> {};
INSTANTIATE_TEST_SUITE_P(Layouts, Fp32Product, ::testing::Values(WeightLayout::prepacked, WeightLayout::streamed),
                         [](const auto& info) {
                           return std::string(info.param == WeightLayout::prepacked ? "prepacked" : "streamed");
                         });

TEST_P(Fp32Product, MatchesDoubleReferenceForEveryRowCount) {
  const int out = 192, in = 768;
  for (DType storage : {DType::f32, DType::f16, DType::bf16}) {
    const OwnedLinear l = random_linear(out, in, storage, 11);
    const LinearBlock block(whole(l.layer), ComputePrecision::f32, GetParam());
    const size_t matrix = static_cast<size_t>(out) * in;
    EXPECT_EQ(block.bytes(), GetParam() == WeightLayout::prepacked ? matrix * sizeof(float) : 0);
    // Streamed weights are widened into the scratch; a kernel run in chunks of rows (not brgemm)
    // pads the last chunk there too.
    const size_t padding = block.row_chunks() ? size_t{LinearBlock::kRowChunk} * (in + out) : 0;
    EXPECT_EQ(block.scratch_floats(), (GetParam() == WeightLayout::streamed ? matrix : 0) + padding);
    for (int rows : kRowCounts) {
      const auto x = random_input(rows, in, static_cast<uint32_t>(rows));
      std::vector<float> y(static_cast<size_t>(rows) * out);
      run_guarded(block, x.data(), rows, y.data());
      EXPECT_LE(max_abs_difference(reference(x, rows, l.weight_f32, l.layer.bias, out, in, false), y.data()),
                1e-4)
          << dtype_name(storage) << " rows " << rows;
    }
  }
}

TEST_P(Fp32Product, FusedGeluIsTheExactErfGelu) {
  const int out = 256, in = 96;
  const OwnedLinear l = random_linear(out, in, DType::f32, 13);
  const LinearBlock block(whole(l.layer, Activation::gelu_erf), ComputePrecision::f32, GetParam());
  for (int rows : kRowCounts) {
    const auto x = random_input(rows, in, 100 + static_cast<uint32_t>(rows));
    std::vector<float> y(static_cast<size_t>(rows) * out);
    run_guarded(block, x.data(), rows, y.data());
    EXPECT_LE(max_abs_difference(reference(x, rows, l.weight_f32, l.layer.bias, out, in, true), y.data()),
              1e-4)
        << "rows " << rows;
  }
}

// The encoder's feed-forward split: column slices of FFN in (bias + GELU each) and the matching
// input-column slices of FFN out, summed onto each other (the first adds the bias), give the whole
// two-layer product.
TEST_P(Fp32Product, ColumnSlicesOfTwoLayersSumToTheWholeProduct) {
  const int hidden = 80, inner = 320, slice = 112, rows = 37;  // slices of 112, 112 and 96 columns
  const OwnedLinear up = random_linear(inner, hidden, DType::f16, 51), down = random_linear(hidden, inner, DType::f16, 52);
  const auto x = random_input(rows, hidden, 53);
  std::vector<float> activation(static_cast<size_t>(rows) * slice), y(static_cast<size_t>(rows) * hidden, -9.0f);
  for (int first = 0; first < inner; first += slice) {
    const int n = std::min(slice, inner - first);
    const LinearBlock in({.layer = &up.layer, .first_out = first, .outputs = n, .first_in = 0, .inputs = hidden,
                          .activation = Activation::gelu_erf},
                         ComputePrecision::f32, GetParam());
    const LinearBlock out({.layer = &down.layer, .first_out = 0, .outputs = hidden, .first_in = first, .inputs = n,
                           .bias = first == 0, .accumulate = first > 0, .activation = std::nullopt},
                          ComputePrecision::f32, GetParam());
    run_guarded(in, x.data(), rows, activation.data());
    run_guarded(out, activation.data(), rows, y.data());
  }
  const auto middle = reference(x, rows, up.weight_f32, up.layer.bias, inner, hidden, true);
  const std::vector<float> middle_f32(middle.begin(), middle.end());
  EXPECT_LE(max_abs_difference(reference(middle_f32, rows, down.weight_f32, down.layer.bias, hidden, inner, false),
                               y.data()),
            1e-4);
}

TEST(LinearBlock, RefusesBlocksOutsideTheMatrixAndStreamedBf16) {
  const OwnedLinear l = random_linear(16, 32, DType::bf16, 3);
  BlockSpec spec = whole(l.layer);
  spec.first_in = 8;
  EXPECT_THROW(LinearBlock(spec, ComputePrecision::f32, WeightLayout::streamed), ModelError);
  EXPECT_THROW(LinearBlock(whole(l.layer), ComputePrecision::bf16, WeightLayout::streamed), ModelError);
}

// Streamed, a matrix larger than one widening block (4 MiB of fp32) runs as blocks of output
// features, each writing its own columns of y.
TEST(MatrixProduct, StreamedInBlocksOfOutputFeatures) {
  const int out = 3000, in = 1024, rows = 37;
  const OwnedLinear l = random_linear(out, in, DType::f16, 41);
  const auto blocks = matrix_product(l.layer, ComputePrecision::f32, WeightLayout::streamed, 0, Activation::gelu_erf);
  ASSERT_EQ(blocks.size(), 3u);
  // The widened block, and where the kernel runs in chunks of rows, the last chunk's input rows and
  // its output rows (as far apart as y's).
  for (const LinearBlock& b : blocks)
    EXPECT_LE(b.scratch_floats(), kWidenBlockFloats + 16 * size_t{in} +
                                      (b.row_chunks() ? size_t{LinearBlock::kRowChunk} * (in + out) : 0));
  EXPECT_EQ(matrix_product(l.layer, ComputePrecision::f32, WeightLayout::prepacked).size(), 1u);
  const auto x = random_input(rows, in, 47);
  std::vector<float> y(static_cast<size_t>(rows) * out), scratch(blocks[0].scratch_floats());
  run_blocks(blocks, x.data(), rows, y.data(), scratch.data());
  EXPECT_LE(max_abs_difference(reference(x, rows, l.weight_f32, l.layer.bias, out, in, true), y.data()), 1e-4);
}

TEST(MatrixProduct, BlocksAreEqualMultiplesOf16NearFourMiB) {
  EXPECT_EQ(widen_block_rows(768, 768), 768);    // bert-base's Q, K, V, attention output: one block
  EXPECT_EQ(widen_block_rows(1024, 1024), 1024); // so are StructBERT-large's
  EXPECT_EQ(widen_block_rows(768, 3072), 1024);  // FFN in: 3 blocks
  EXPECT_EQ(widen_block_rows(1024, 4096), 1024); // 4 blocks
  EXPECT_EQ(widen_block_rows(1024, 3000), 1008); // 1008, 1008, 984
  EXPECT_EQ(widen_block_rows(4096, 1), 1);
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
  const LinearBlock packed(whole(l.layer), ComputePrecision::bf16, WeightLayout::prepacked);
  EXPECT_EQ(packed.bytes(), static_cast<size_t>(out) * in * 2);
  for (int rows : kRowCounts) {
    const auto x = random_input(rows, in, static_cast<uint32_t>(rows));
    std::vector<uint16_t> x_bf16(x.size());
    convert_rows_to_bf16(x.data(), static_cast<size_t>(rows), static_cast<size_t>(in), x_bf16.data());
    std::vector<float> y(static_cast<size_t>(rows) * out);
    std::vector<float> scratch(packed.scratch_floats());  // a partial last chunk of rows is padded there
    packed(x_bf16.data(), rows, y.data(), scratch.data());
    const auto rounded = reference(round_to_bf16(x), rows, l.weight_f32, l.layer.bias, out, in, false);
    EXPECT_LE(max_abs_difference(rounded, y.data()), 1e-4) << "rows " << rows;
  }
}

TEST_F(Bf16Product, StaysWithinBf16RoundingOfTheFp32Product) {
  const int out = 128, in = 384, rows = 64;
  const OwnedLinear l = random_linear(out, in, DType::f32, 19);
  const LinearBlock packed(whole(l.layer), ComputePrecision::bf16, WeightLayout::prepacked);
  const auto x = random_input(rows, in, 23);
  std::vector<uint16_t> x_bf16(x.size());
  convert_rows_to_bf16(x.data(), rows, in, x_bf16.data());
  std::vector<float> y(static_cast<size_t>(rows) * out);
  std::vector<float> scratch(packed.scratch_floats());
  packed(x_bf16.data(), rows, y.data(), scratch.data());
  const double error = max_abs_difference(reference(x, rows, l.weight_f32, l.layer.bias, out, in, false), y.data());
  EXPECT_LE(error, 2e-2);
  EXPECT_GE(error, 1e-4) << "no bf16 rounding visible: is this really the bf16 path?";
}

TEST_F(Bf16Product, GeluEpilogueWritesBf16ForTheNextProduct) {
  const int out = 128, in = 64, rows = 9;
  const OwnedLinear l = random_linear(out, in, DType::bf16, 29);
  const LinearBlock packed(whole(l.layer, Activation::gelu_erf, DType::bf16), ComputePrecision::bf16,
                           WeightLayout::prepacked);
  const auto x = random_input(rows, in, 31);
  std::vector<uint16_t> x_bf16(x.size()), y_bf16(static_cast<size_t>(rows) * out);
  convert_rows_to_bf16(x.data(), rows, in, x_bf16.data());
  std::vector<float> scratch(packed.scratch_floats());
  packed(x_bf16.data(), rows, y_bf16.data(), scratch.data());
  std::vector<float> y(y_bf16.size());
  convert_to_f32(y_bf16.data(), DType::bf16, y.data(), y.size());
  const auto expected = reference(round_to_bf16(x), rows, l.weight_f32, l.layer.bias, out, in, true);
  // The fp32 result rounded once to bf16: within half a bf16 ulp (2^-9 relative) plus the sums.
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(y[i], expected[i], std::abs(expected[i]) * (1.0 / 256) + 1e-4) << i;
}

TEST(ComputePrecision, Bf16OnlyForBf16WeightsWithNativeSupportAndOneDnn) {
  auto precision = [](GemmBackend kind, DType storage) { return ProductBackend::for_storage(kind, storage).precision; };
  EXPECT_EQ(precision(GemmBackend::onednn, DType::f32), ComputePrecision::f32);
  EXPECT_EQ(precision(GemmBackend::onednn, DType::f16), ComputePrecision::f32);
  EXPECT_EQ(precision(GemmBackend::onednn, DType::bf16),
            bf16_support().available ? ComputePrecision::bf16 : ComputePrecision::f32);
  EXPECT_EQ(precision(GemmBackend::openblas, DType::bf16), ComputePrecision::f32);
  EXPECT_NE(gemm_kernel_name(GemmBackend::openblas).find("OpenBLAS"), std::string::npos)
      << gemm_kernel_name(GemmBackend::openblas);
  for (GemmBackend kind : {GemmBackend::onednn, GemmBackend::onednn_prepacked})
    EXPECT_NE(gemm_kernel_name(kind).find("oneDNN"), std::string::npos) << gemm_kernel_name(kind);
}

}  // namespace
}  // namespace simscore
