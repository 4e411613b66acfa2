#pragma once
// The precisions a run can ask for (`--precision`), in one list: the command line's choices,
// `inspect`'s memory table and the byte-stability test (tests/e2e/test_byte_stable.py, through
// `inspect --json`'s "precisions") walk it, so a new precision joins all of them at once.

#include <array>
#include <optional>
#include <string_view>

namespace simscore {

enum class RunPrecision {
  fp32,  // fp32 storage and products
  fp16,  // fp16 storage, fp32 products
  bf16,  // bf16 storage; bf16 products where the CPU has them (AMX, AVX512-BF16), else fp32
  int8,  // int8 products (core/ops/int8_linear.h), the other weights in fp16
};
inline constexpr std::array<RunPrecision, 4> kRunPrecisions{RunPrecision::fp32, RunPrecision::fp16,
                                                            RunPrecision::bf16, RunPrecision::int8};

constexpr std::string_view run_precision_name(RunPrecision p) {
  constexpr std::array<std::string_view, 4> names{"fp32", "fp16", "bf16", "int8"};
  return names[static_cast<size_t>(p)];
}

constexpr std::optional<RunPrecision> parse_run_precision(std::string_view name) {
  for (RunPrecision p : kRunPrecisions)
    if (run_precision_name(p) == name) return p;
  return std::nullopt;
}

}  // namespace simscore
