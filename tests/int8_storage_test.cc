// Int8 weights read as stored (Linear::int8: `simscore convert --precision int8`, or quantized as
// the weights load): an Int8Linear over them computes the same bytes as one quantizing the fp16
// matrix itself, block by block as the plan splits it; weights wider than this CPU's int8 kernels
// take are refused.

#include <gtest/gtest.h>

#include <cstring>
#include <random>
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
