// A row's product does not depend on the rows beside it: every block shape a BERT encoder runs
// (hidden 384, 768 and 1024; Q/K/V and the attention output, the FFN column slices with their GELU
// and running sum, the streamed blocks of output features), weights stored as fp32 and bf16,
// prepacked and streamed, gives each row the same bits in a batch of any size from 1 to 300 rows and
// at any place in it, on 1 and on 2 threads. On AVX-512 oneDNN's brgemm kernels are so by
// themselves; elsewhere (gemm:jit on AVX2), and for every bf16 product (native bf16 products, where
// the CPU has them: not row-invariant on AMX at 2 threads), LinearBlock runs fixed chunks of rows,
// and this is the test that the chunking does it.
//
// The reference for a row is its result in one 300-row product; every other batch holds a rotated
// run of the same rows (so each row is seen at many places) and must reproduce those bits exactly.

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "core/ops/convert.h"
#include "core/ops/gemm.h"
#include "core/ops/linear_block.h"
#include "tests/random_linear.h"

namespace simscore {
namespace {

constexpr int kPool = 300;
// Around every multiple of 64 and of 16 (the chunk and the kernels' register blocks), and odd sizes.
const int kRowCounts[] = {1, 2, 3, 5, 15, 17, 31, 33, 48, 63, 64, 65, 97, 127, 128, 129, 200, 255, 256, 257, 299};

struct Shape {
  const char* name;
  int out, in;            // the matrix
  int first_out, outputs;  // the block of it
  int first_in, inputs;
  bool gelu = false, accumulate = false;
};

std::vector<Shape> encoder_shapes() {
  std::vector<Shape> shapes;
  for (int h : {384, 768, 1024}) {
    const int ffn = 4 * h, slice = widen_block_rows(h, ffn), streamed = widen_block_rows(h, h);
    shapes.push_back({"query", h, h, 0, h, 0, h});
    if (streamed < h) shapes.push_back({"query, a streamed block", h, h, streamed, h - streamed, 0, h});
    const int second = slice < ffn ? slice : 0;  // the second slice where there is one
    const int width = std::min(slice, ffn - second);
    shapes.push_back({"FFN in slice + GELU", ffn, h, second, width, 0, h, true});
    shapes.push_back({"FFN out slice, summed", h, ffn, 0, h, second, width, false, true});
  }
  return shapes;
}

std::string fmt_shape(const Shape& s, const LinearBlock& block) {
  return std::string(s.name) + " [" + std::to_string(s.outputs) + " x " + std::to_string(s.inputs) + "] of [" +
         std::to_string(s.out) + " x " + std::to_string(s.in) + "], kernel " + block.kernel_name() +
         (block.row_chunks() ? " in chunks of rows" : "");
}

struct Case {
  DType storage;
  WeightLayout layout;
  ComputePrecision precision = ComputePrecision::f32;  // bf16: inputs rounded to bf16, where the CPU has it
};

class ProductRows : public ::testing::TestWithParam<Case> {};
INSTANTIATE_TEST_SUITE_P(Storage, ProductRows,
                         ::testing::Values(Case{DType::f32, WeightLayout::prepacked},
                                           Case{DType::f32, WeightLayout::streamed},
                                           Case{DType::bf16, WeightLayout::prepacked},
                                           Case{DType::bf16, WeightLayout::streamed},
                                           Case{DType::bf16, WeightLayout::prepacked, ComputePrecision::bf16}),
                         [](const auto& info) {
                           return std::string(dtype_name(info.param.storage)) +
                                  (info.param.layout == WeightLayout::prepacked ? "_prepacked" : "_streamed") +
                                  (info.param.precision == ComputePrecision::bf16 ? "_bf16_products" : "");
                         });

TEST_P(ProductRows, EveryRowHasTheSameBitsInAnyBatch) {
  const ComputePrecision precision = GetParam().precision;
  if (precision == ComputePrecision::bf16 && !bf16_support().available)
    GTEST_SKIP() << "no native bf16 products: " << bf16_support().description;
  const int threads = compute_threads();
  uint32_t seed = 1;
  for (const Shape& s : encoder_shapes()) {
    const OwnedLinear l = random_linear(s.out, s.in, GetParam().storage, seed++);
    const BlockSpec spec{.layer = &l.layer, .first_out = s.first_out, .outputs = s.outputs, .first_in = s.first_in,
                         .inputs = s.inputs, .bias = !s.accumulate, .accumulate = s.accumulate,
                         .activation = s.gelu ? std::optional(Activation::gelu_erf) : std::nullopt};
    const LinearBlock block(spec, precision, GetParam().layout);
    const size_t in_bytes = dtype_size(block.input_dtype());
    const std::string where = fmt_shape(s, block);
    std::vector<float> scratch(block.scratch_floats() + 1);

    std::mt19937 rng(seed++);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(kPool) * s.inputs), start(static_cast<size_t>(kPool) * s.outputs);
    for (float& v : x) v = u(rng);
    for (float& v : start) v = u(rng);  // what a running sum adds onto
    // The rows as the product reads them (bf16 products: rounded to bf16, as the encoder does).
    std::vector<char> input(static_cast<size_t>(kPool) * s.inputs * in_bytes);
    if (block.input_dtype() == DType::bf16)
      convert_rows_to_bf16(x.data(), kPool, static_cast<size_t>(s.inputs), input.data());
    else
      std::memcpy(input.data(), x.data(), input.size());
    std::vector<float> expected = start;
    block(input.data(), kPool, expected.data(), scratch.data());

    int batch = 0;
    for (int rows : kRowCounts) {
      // Alternate 1 and 2 threads: the bits must not depend on them either.
      set_compute_threads(batch++ % 2 ? 1 : std::max(threads, 2));
      const int shift = (rows * 37) % kPool;  // the batch holds pool rows shift, shift + 1, ...
      const size_t row_bytes = static_cast<size_t>(s.inputs) * in_bytes;
      std::vector<char> bx(static_cast<size_t>(rows) * row_bytes);
      std::vector<float> by(static_cast<size_t>(rows) * s.outputs);
      for (int r = 0; r < rows; ++r) {
        const int p = (shift + r) % kPool;
        std::memcpy(&bx[r * row_bytes], &input[p * row_bytes], row_bytes);
        std::memcpy(&by[static_cast<size_t>(r) * s.outputs], &start[static_cast<size_t>(p) * s.outputs],
                    sizeof(float) * s.outputs);
      }
      block(bx.data(), rows, by.data(), scratch.data());
      int differ = 0;
      for (int r = 0; r < rows; ++r) {
        const int p = (shift + r) % kPool;
        differ += std::memcmp(&by[static_cast<size_t>(r) * s.outputs], &expected[static_cast<size_t>(p) * s.outputs],
                              sizeof(float) * s.outputs) != 0;
      }
      EXPECT_EQ(differ, 0) << where << ": rows of a " << rows << "-row batch unlike in the 300-row one";
    }
    set_compute_threads(threads);
  }
}

}  // namespace
}  // namespace simscore
