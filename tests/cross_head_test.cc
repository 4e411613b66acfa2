// The cross-encoder head (core/scoring/cross_head.h) at bert-base width (768): a row's logits are
// the same bits whether it is computed alone, in any group of rows, or on any number of threads,
// and they are the fp32 dot products (within 1e-5 of a double-precision sum).

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "core/ops/convert.h"
#include "core/ops/gemm.h"
#include "core/scoring/cross_head.h"

namespace simscore {
namespace {

constexpr int kHidden = 768, kLabels = 2, kRows = 37;

Linear random_linear(int out, int in, DType storage, std::mt19937& rng, std::vector<std::shared_ptr<void>>& owners) {
  std::normal_distribution<float> value(0.0f, 0.05f);
  std::vector<float> f32(static_cast<size_t>(out) * in);
  for (float& x : f32) x = value(rng);
  auto stored = std::make_shared<std::vector<char>>(f32.size() * dtype_size(storage));
  convert_from_f32(f32.data(), storage, stored->data(), f32.size());
  owners.push_back(stored);
  Linear l{TensorView{storage, {out, in}, stored->data()}, std::vector<float>(static_cast<size_t>(out))};
  for (float& b : l.bias) b = value(rng);
  return l;
}

TEST(CrossHead, RowsDoNotDependOnTheirBatchOrThreads) {
  for (DType storage : {DType::f32, DType::f16}) {
    std::mt19937 rng(5);
    std::vector<std::shared_ptr<void>> owners;
    EncoderWeights w;
    w.storage = storage;
    w.pooler = random_linear(kHidden, kHidden, storage, rng, owners);
    w.classifier = random_linear(kLabels, kHidden, storage, rng, owners);
    std::vector<float> x(static_cast<size_t>(kRows) * kHidden);
    std::normal_distribution<float> value(0.0f, 1.0f);
    for (float& v : x) v = value(rng);
    std::vector<float> scratch(std::max(linear_scratch_floats(*w.pooler), size_t{1}));
    std::vector<float> pooled(x.size()), all(static_cast<size_t>(kRows) * kLabels);
    set_compute_threads(2);
    cross_encoder_logits(x.data(), kRows, w, pooled.data(), all.data(), scratch.data());

    // Every row alone on one thread, and groups of 5 on two: the same bits.
    for (int threads : {1, 2})
      for (int group : {1, 5}) {
        set_compute_threads(threads);
        for (int first = 0; first < kRows; first += group) {
          const int rows = std::min(group, kRows - first);
          std::vector<float> part(static_cast<size_t>(rows) * kLabels);
          cross_encoder_logits(x.data() + static_cast<size_t>(first) * kHidden, rows, w, pooled.data(),
                               part.data(), scratch.data());
          EXPECT_EQ(std::memcmp(part.data(), all.data() + static_cast<size_t>(first) * kLabels,
                                part.size() * sizeof(float)), 0)
              << dtype_name(storage) << ", rows from " << first << " in groups of " << group << ", "
              << threads << " threads";
        }
      }
    set_compute_threads(2);

    // Against a double-precision sum over the same (stored) weights.
    std::vector<float> wp(static_cast<size_t>(kHidden) * kHidden), wc(static_cast<size_t>(kLabels) * kHidden);
    convert_to_f32(w.pooler->weight.data, storage, wp.data(), wp.size());
    convert_to_f32(w.classifier->weight.data, storage, wc.data(), wc.size());
    double worst = 0;
    for (int r = 0; r < kRows; ++r) {
      std::vector<double> p(kHidden);
      for (int o = 0; o < kHidden; ++o) {
        double s = w.pooler->bias[o];
        for (int i = 0; i < kHidden; ++i) s += double(x[size_t(r) * kHidden + i]) * wp[size_t(o) * kHidden + i];
        p[o] = std::tanh(s);
      }
      for (int c = 0; c < kLabels; ++c) {
        double s = w.classifier->bias[c];
        for (int i = 0; i < kHidden; ++i) s += p[i] * wc[size_t(c) * kHidden + i];
        worst = std::max(worst, std::abs(s - all[size_t(r) * kLabels + c]));
      }
    }
    EXPECT_LE(worst, 1e-5) << dtype_name(storage);
  }
}

}  // namespace
}  // namespace simscore
