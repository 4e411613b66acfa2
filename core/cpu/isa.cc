#include "core/cpu/isa.h"

#include "core/cpu/isa_class.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace simscore {
namespace {

bool cpu_supports(CpuIsa isa) {
#if defined(SIMSCORE_ISA_SINGLE) || !(defined(__x86_64__) || defined(__i386__))
  return isa == CpuIsa::baseline;
#else
  // __builtin_cpu_supports also asks the OS (XGETBV) whether it saves the wider registers.
  switch (isa) {
    case CpuIsa::baseline:
      return true;
    case CpuIsa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("bmi2");
    case CpuIsa::avx512:
      return cpu_supports(CpuIsa::avx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512cd") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  }
  return false;
#endif
}

CpuIsa best_available() {
  CpuIsa best = CpuIsa::baseline;
  for (CpuIsa isa : {CpuIsa::avx2, CpuIsa::avx512})
    if (cpu_supports(isa)) best = isa;
  // oneDNN's cap on its own kernels caps ours too, so that one variable runs a whole class
  // (core/cpu/isa_class.h): below AVX2 the baseline, AVX2 the avx2 variant.
  if (const char* cap = std::getenv("ONEDNN_MAX_CPU_ISA"); cap && *cap)
    if (const std::optional<IsaClass> c = isa_class_cap(cap); c && *c < IsaClass::avx512)
      best = std::min(best, *c == IsaClass::baseline ? CpuIsa::baseline : CpuIsa::avx2);
  // A lower variant on request (tests, or to rule a kernel out when a result looks wrong).
  if (const char* wanted = std::getenv("SIMSCORE_CPU_ISA"); wanted && *wanted) {
    const std::string name = wanted;
    for (CpuIsa isa : {CpuIsa::baseline, CpuIsa::avx2, CpuIsa::avx512})
      if (name == std::string(cpu_isa_name(isa)).substr(0, name.size()) && cpu_supports(isa) &&
          isa < best)
        best = isa;
  }
  return best;
}

std::atomic<int> chosen{-1};

}  // namespace

bool cpu_isa_available(CpuIsa isa) { return cpu_supports(isa); }

CpuIsa cpu_isa() {
  int isa = chosen.load(std::memory_order_relaxed);
  if (isa < 0) {
    isa = static_cast<int>(best_available());
    chosen.store(isa, std::memory_order_relaxed);
  }
  return static_cast<CpuIsa>(isa);
}

void set_cpu_isa(CpuIsa isa) {
  if (!cpu_supports(isa))
    throw std::invalid_argument(std::string("this CPU or build cannot run the ") +
                                std::string(cpu_isa_name(isa)) + " kernels");
  chosen.store(static_cast<int>(isa), std::memory_order_relaxed);
}

std::string_view cpu_isa_name(CpuIsa isa) {
#ifdef SIMSCORE_ISA_SINGLE
  if (isa == CpuIsa::baseline) return "native (-march=native build)";
#endif
  switch (isa) {
    case CpuIsa::baseline:
      return "baseline (x86-64-v2)";
    case CpuIsa::avx2:
      return "avx2 (x86-64-v3)";
    case CpuIsa::avx512:
      return "avx512 (x86-64-v4)";
  }
  return "?";
}

}  // namespace simscore
