// Batching and pooling alone (the end-to-end values are checked against sentence-transformers in
// encoder_reference_test): batches cover every input once, within the token budget, sorted by
// length; each pooling is the formula sentence-transformers' Pooling module applies.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/scoring/batching.h"
#include "core/scoring/pooling.h"

namespace simscore {
namespace {

TEST(Batching, EveryInputOnceWithinTheBudgetShortestFirst) {
  std::vector<int> lengths;
  for (int i = 0; i < 500; ++i) lengths.push_back(3 + (i * 37) % 120);
  lengths.push_back(900);  // longer than the budget: a batch of its own
  for (bool longest_first : {false, true}) {
    const auto batches = plan_batches(lengths, 512, longest_first);
    std::vector<int> seen(lengths.size(), 0);
    std::vector<int> batch_longest;
    for (const auto& batch : batches) {
      ASSERT_FALSE(batch.empty());
      size_t tokens = 0;
      int longest = 0;
      for (uint32_t i : batch) {
        ++seen.at(i);
        tokens += static_cast<size_t>(lengths[i]);
        longest = std::max(longest, lengths[i]);
      }
      EXPECT_TRUE(tokens <= 512 || batch.size() == 1) << tokens;
      batch_longest.push_back(longest);
    }
    EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
    if (longest_first)
      EXPECT_EQ(batch_longest.front(), 900);
    else
      EXPECT_TRUE(std::is_sorted(batch_longest.begin(), batch_longest.end()));
  }
  EXPECT_TRUE(plan_batches(std::vector<int>{}, 512, false).empty());
}

TEST(Pooling, EachModeIsItsFormula) {
  TokenBatch batch;
  batch.add({{1, 2, 3}, {0, 0, 0}});
  batch.add({{4, 5}, {0, 0}});
  const int h = 2;
  // Token t's hidden state is (t + 1, -(t + 1) * 0.5).
  std::vector<float> hidden;
  for (size_t t = 0; t < batch.tokens(); ++t) hidden.insert(hidden.end(), {t + 1.0f, -(t + 1.0f) * 0.5f});
  std::vector<float> out(4);
  pool(hidden.data(), batch, h, Pooling::mean, false, out.data());
  EXPECT_EQ(out, (std::vector<float>{2.0f, -1.0f, 4.5f, -2.25f}));
  pool(hidden.data(), batch, h, Pooling::cls, false, out.data());
  EXPECT_EQ(out, (std::vector<float>{1.0f, -0.5f, 4.0f, -2.0f}));
  pool(hidden.data(), batch, h, Pooling::max, false, out.data());
  EXPECT_EQ(out, (std::vector<float>{3.0f, -0.5f, 5.0f, -2.0f}));
  pool(hidden.data(), batch, h, Pooling::mean_sqrt_len, false, out.data());
  EXPECT_FLOAT_EQ(out[0], 6.0f / std::sqrt(3.0f));
  EXPECT_FLOAT_EQ(out[3], -4.5f / std::sqrt(2.0f));
  pool(hidden.data(), batch, h, Pooling::mean, true, out.data());
  EXPECT_FLOAT_EQ(std::hypot(out[0], out[1]), 1.0f);
  EXPECT_FLOAT_EQ(out[0], 2.0f / std::sqrt(5.0f));
  const float a[] = {1, 0}, b[] = {1, 1};
  EXPECT_FLOAT_EQ(cosine_similarity(a, b, 2), 1.0f / std::sqrt(2.0f));
}

}  // namespace
}  // namespace simscore
