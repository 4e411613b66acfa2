#include "cli/blas_setup.h"

#include <cblas.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <string>

#include "core/ops/gemm.h"

namespace simscore::cli {
namespace {

// Set across the one re-execution: that it happened, and which of the settings simscore chose (a
// value the user set is reported as theirs).
constexpr const char* kReexecMarker = "SIMSCORE_REEXEC";
constexpr const char* kCoreMarker = "SIMSCORE_SET_OPENBLAS_CORETYPE";
constexpr const char* kPolicyMarker = "SIMSCORE_SET_OMP_WAIT_POLICY";

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

// Whether `name` is in the environment; removes it, so that no child process inherits it.
bool take_env(const char* name) {
  const bool present = std::getenv(name) != nullptr;
  unsetenv(name);
  return present;
}

std::string note;
std::string wait_note;

void describe(const std::string& detected, bool core_by_us, bool policy_by_us, bool reexec_failed) {
  const char* user_core = std::getenv("OPENBLAS_CORETYPE");
  if (core_by_us)
    note = reexec_failed ? detected + " (slow: OpenBLAS misdetected this CPU and re-executing with " +
                               "OPENBLAS_CORETYPE set failed; set it yourself)"
                         : detected + " (OPENBLAS_CORETYPE set by simscore: OpenBLAS misdetected this CPU)";
  else if (user_core)
    note = detected + " (OPENBLAS_CORETYPE=" + user_core + " from the environment)";
  else
    note = detected + " (detected by OpenBLAS)";
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  if (policy && !*policy) policy = nullptr;
  if (policy_by_us)
    wait_note = reexec_failed ? "libgomp's default (re-executing with OMP_WAIT_POLICY=passive failed)"
                              : "passive (set by simscore)";
  else if (policy)
    wait_note = std::string(policy) + " (OMP_WAIT_POLICY from the environment)";
  else if (const char* spin = std::getenv("GOMP_SPINCOUNT"))
    wait_note = std::string("libgomp's, GOMP_SPINCOUNT=") + spin + " from the environment";
  else
    wait_note = "libgomp's default";
}

}  // namespace

void ensure_library_settings(char** argv) {
  const std::string detected = openblas_get_corename();
  const bool reexecuted = take_env(kReexecMarker);
  const bool core_by_us = take_env(kCoreMarker);
  const bool policy_by_us = take_env(kPolicyMarker);
  if (reexecuted) return describe(detected, core_by_us, policy_by_us, false);

  const std::string core = std::getenv("OPENBLAS_CORETYPE") ? "" : wanted_core(detected);
  // A user who tuned libgomp's waiting (either knob) keeps it.
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  const bool set_policy = (policy == nullptr || *policy == '\0') && std::getenv("GOMP_SPINCOUNT") == nullptr;
  if (core.empty() && !set_policy) return describe(detected, false, false, false);
  if (!core.empty()) {
    setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
    setenv(kCoreMarker, "1", 1);
  }
  if (set_policy) {
    setenv("OMP_WAIT_POLICY", "passive", 1);
    setenv(kPolicyMarker, "1", 1);
  }
  setenv(kReexecMarker, "1", 1);
  execv("/proc/self/exe", argv);
  // Re-executing failed (no /proc?): carry on with what loaded, and say so.
  for (const char* name : {kReexecMarker, kCoreMarker, kPolicyMarker}) unsetenv(name);
  if (!core.empty()) unsetenv("OPENBLAS_CORETYPE");
  if (set_policy) unsetenv("OMP_WAIT_POLICY");
  describe(detected, !core.empty(), set_policy, true);
}

const char* wait_policy_note() { return wait_note.c_str(); }

const char* blas_kernel_note() { return note.c_str(); }

}  // namespace simscore::cli
