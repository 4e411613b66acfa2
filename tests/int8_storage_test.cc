// Int8 weights read as stored (Linear::int8: `simscore convert --precision int8`, or quantized as
// the weights load): an Int8Linear over them computes the same bytes as one quantizing the fp16
// matrix itself, block by block as the plan splits it; weights wider than this CPU's int8 kernels
// take are refused.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "core/ops/int8_linear.h"
#include "random_linear.h"

namespace simscore {
namespace {

std::vector<float> random_rows(int rows, int cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(rows) * cols);
  for (float& x : v) x = n(rng);
  return v;
}

TEST(Int8Storage, StoredWeightsGiveTheBytesOfQuantizingInTheProduct) {
  constexpr int kOut = 96, kIn = 80, kRows = 37;
  const OwnedLinear fp16 = random_linear(kOut, kIn, DType::f16, 7);
  const Int8Matrix q = quantize_matrix_rows(fp16.weight_f32.data(), kOut, kIn, int8_weight_limit());
  Linear stored{TensorView{DType::f16, {kOut, kIn}, nullptr}, fp16.layer.bias,
                Int8Storage{q.values.data(), q.scales.data(), int8_weight_limit()}};
  const std::vector<float> x = random_rows(kRows, kIn, 11);
  for (const bool gelu : {false, true})
    for (const int first : {0, 32}) {  // two blocks of output rows, as the plan splits FFN in
      BlockSpec spec{.first_out = first, .outputs = first ? kOut - first : 32, .first_in = 0, .inputs = kIn};
      if (gelu) spec.activation = Activation::gelu_erf;
      std::vector<float> expected(static_cast<size_t>(kRows) * spec.outputs), got(expected.size());
      spec.layer = &fp16.layer;
      const Int8Linear quantizing(spec);
      std::vector<float> scratch(quantizing.scratch_floats(kRows) + 16);
      quantizing(x.data(), kRows, expected.data(), scratch.data());
      spec.layer = &stored;
      const Int8Linear reading(spec);
      reading(x.data(), kRows, got.data(), scratch.data());
      EXPECT_EQ(std::memcmp(expected.data(), got.data(), expected.size() * sizeof(float)), 0)
          << "block from row " << first << (gelu ? " with GELU" : "");
    }
}

TEST(Int8Storage, ColumnBlocksOfStoredWeightsAreExactOnIntegers) {
  // The FFN output runs one block of columns per FFN block, each summed onto the last: read from
  // stored int8 rows with the whole row's stride. Integer weights with scale 1 and integer inputs
  // whose rows hold a 127 (input scale 1) give exact sums, checked against a double product.
  constexpr int kOut = 48, kIn = 200, kRows = 33;
  const int limit = int8_weight_limit();
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> weight(-limit, limit), input(-127, 127);
  std::vector<int8_t> values(static_cast<size_t>(kOut) * kIn);
  for (int8_t& v : values) v = static_cast<int8_t>(weight(rng));
  const std::vector<float> scales(kOut, 1.0f);
  const OwnedLinear fp16 = random_linear(kOut, kIn, DType::f16, 9);  // for its shape and bias
  Linear stored{TensorView{DType::f16, {kOut, kIn}, nullptr}, fp16.layer.bias,
                Int8Storage{values.data(), scales.data(), limit}};
  std::vector<float> x(static_cast<size_t>(kRows) * kIn);
  for (float& v : x) v = static_cast<float>(input(rng));
  std::vector<float> y(static_cast<size_t>(kRows) * kOut);
  for (const auto [first, columns] : {std::pair{0, 64}, std::pair{64, 100}, std::pair{164, 36}}) {
    // Each block's input is its own columns of x, a row of which holds a 127.
    std::vector<float> block(static_cast<size_t>(kRows) * columns);
    for (int r = 0; r < kRows; ++r) {
      x[static_cast<size_t>(r) * kIn + first + r % columns] = 127.0f;
      std::copy_n(x.data() + static_cast<size_t>(r) * kIn + first, columns, block.data() + static_cast<size_t>(r) * columns);
    }
    const BlockSpec spec{.layer = &stored, .first_out = 0, .outputs = kOut, .first_in = first, .inputs = columns,
                         .bias = first == 0, .accumulate = first > 0};
    const Int8Linear product(spec);
    std::vector<float> scratch(product.scratch_floats(kRows) + 16);
    product(block.data(), kRows, y.data(), scratch.data());
  }
  for (int r = 0; r < kRows; ++r)
    for (int o = 0; o < kOut; ++o) {
      double s = stored.bias[static_cast<size_t>(o)];
      for (int i = 0; i < kIn; ++i)
        s += static_cast<double>(x[static_cast<size_t>(r) * kIn + i]) * values[static_cast<size_t>(o) * kIn + i];
      ASSERT_NEAR(y[static_cast<size_t>(r) * kOut + o], s, 1e-3 * std::max(1.0, std::fabs(s))) << r << ", " << o;
    }
}

TEST(Int8Storage, WeightsWiderThanThisCpuTakesAreRefused) {
  if (int8_weight_limit() == 127) GTEST_SKIP() << "this CPU's int8 kernels take 8-bit weights";
  const OwnedLinear fp16 = random_linear(16, 16, DType::f16, 3);
  const Int8Matrix q = quantize_matrix_rows(fp16.weight_f32.data(), 16, 16, 127);
  Linear stored{TensorView{DType::f16, {16, 16}, nullptr}, fp16.layer.bias,
                Int8Storage{q.values.data(), q.scales.data(), 127}};
  const BlockSpec spec{.layer = &stored, .outputs = 16, .inputs = 16};
  EXPECT_THROW(Int8Linear{spec}, ModelError);
}

}  // namespace
}  // namespace simscore
