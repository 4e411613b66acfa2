#include "core/scoring/pooling.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

namespace simscore {
namespace {

using Vector = Eigen::Map<Eigen::ArrayXf>;
using ConstVector = Eigen::Map<const Eigen::ArrayXf>;

// Norms and dot products are summed in a plain loop, in double: Eigen's vectorised sums peel to
// the buffer's alignment, which differs from run to run, and the scores must not.
double dot(const float* a, const float* b, int n) {
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += double{a[i]} * b[i];
  return sum;
}

void normalize_in_place(Vector v) {
  const auto norm = static_cast<float>(std::sqrt(dot(v.data(), v.data(), static_cast<int>(v.size()))));
  v /= std::max(norm, 1e-12f);
}

}  // namespace

std::string_view pooling_name(Pooling pooling) {
  switch (pooling) {
    case Pooling::mean: return "mean";
    case Pooling::cls: return "cls";
    case Pooling::max: return "max";
    case Pooling::mean_sqrt_len: return "mean_sqrt_len";
  }
  return "?";
}

void pool(const float* hidden, const TokenBatch& batch, int hidden_size, Pooling pooling,
          bool normalize, float* out) {
  for (size_t s = 0; s < batch.sequences(); ++s) {
    Vector result(out + s * hidden_size, hidden_size);
    const float* first = hidden + batch.offsets[s] * hidden_size;
    const int length = batch.lengths[s];
    if (pooling == Pooling::cls) {
      result = ConstVector(first, hidden_size);
    } else {
      result = ConstVector(first, hidden_size);
      for (int t = 1; t < length; ++t) {
        const ConstVector token(first + static_cast<size_t>(t) * hidden_size, hidden_size);
        if (pooling == Pooling::max)
          result = result.max(token);
        else
          result += token;
      }
      if (pooling == Pooling::mean) result /= static_cast<float>(length);
      if (pooling == Pooling::mean_sqrt_len) result /= std::sqrt(static_cast<float>(length));
    }
    if (normalize) normalize_in_place(result);
  }
}

float cosine_similarity(const float* a, const float* b, int n) {
  const double norms = std::max(std::sqrt(dot(a, a, n)), 1e-12) * std::max(std::sqrt(dot(b, b, n)), 1e-12);
  return static_cast<float>(dot(a, b, n) / norms);
}

}  // namespace simscore
