#pragma once
// Test weights: a random Linear stored as fp32, fp16 or bf16, with the fp32 values of what is stored.

#include <cstdint>
#include <random>
#include <vector>

#include "core/model/weights.h"
#include "core/ops/convert.h"

namespace simscore {

struct OwnedLinear {
  std::vector<float> weight_f32;
  std::vector<uint16_t> weight_half;
  Linear layer;
};

inline OwnedLinear random_linear(int out, int in, DType storage, uint32_t seed) {
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

}  // namespace simscore
