#include "cli/blas_setup.h"

#include <cblas.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <string>

#include "core/ops/gemm.h"

namespace simscore::cli {
namespace {

constexpr const char* kReexecMarker = "SIMSCORE_BLAS_REEXEC";

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The OpenBLAS core type this CPU should run, or "" when OpenBLAS's own choice is as good.
std::string wanted_core(const std::string& detected) {
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const std::string d = lower(detected);
  const bool has_avx512_kernels = d == "skylakex" || d == "cooperlake" || d == "sapphirerapids";
  const bool has_avx2_kernels = has_avx512_kernels || d == "haswell" || d == "zen" || d == "skylake";
  if (avx512 && !has_avx512_kernels) return "SkylakeX";
  if (avx2 && !has_avx2_kernels) return "Haswell";
  return "";
}

std::string note;

}  // namespace

void ensure_blas_kernel(char** argv) {
  const std::string detected = openblas_get_corename();
  if (std::getenv(kReexecMarker)) {
    note = detected + " (OPENBLAS_CORETYPE set by simscore: OpenBLAS misdetected this CPU)";
    unsetenv(kReexecMarker);
    return;
  }
  if (const char* user = std::getenv("OPENBLAS_CORETYPE")) {
    note = detected + " (OPENBLAS_CORETYPE=" + user + " from the environment)";
    return;
  }
  const std::string wanted = wanted_core(detected);
  if (wanted.empty()) {
    note = detected + " (detected by OpenBLAS)";
    return;
  }
  setenv("OPENBLAS_CORETYPE", wanted.c_str(), 1);
  setenv(kReexecMarker, "1", 1);
  execv("/proc/self/exe", argv);
  // Re-executing failed (no /proc?): carry on with the slow kernels, and say so.
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv(kReexecMarker);
  note = detected + " (slow: OpenBLAS misdetected this CPU and re-executing with " +
         "OPENBLAS_CORETYPE=" + wanted + " failed; set it yourself)";
}

const char* blas_kernel_note() { return note.c_str(); }

}  // namespace simscore::cli
