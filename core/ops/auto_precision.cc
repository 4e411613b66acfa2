#include "core/ops/auto_precision.h"

#include <array>
#include <dnnl.hpp>
#include <stdexcept>

#include "core/ops/linear_block.h"

namespace simscore {
namespace {

// One row per class, in IsaClass's order. A class's precision must be byte-stable there (a row's
// score never depends on its batch: tests/e2e/test_byte_stable.py) and within 0.003 of fp32 on
// all-MiniLM-L6-v2's STS-B Spearman and multilingual-e5-small's whole-LCQMC best-threshold F1.
//
// Measured (docs/performance.md has the tables):
// - AVX2 (AMD EPYC, 2026-12-06, 2 threads, 2,000 LCQMC rows, MiniLM, runs alternated): int8
//   1.28-1.36x fp16's pairs/s, fp32 0.93x; int8 STS-B Spearman -0.0023 and e5 F1 -0.0001 from fp32
//   (7-bit weights: no VNNI), both inside 0.003. int8 sums are exact integers, so no blocking or
//   thread split can change a row (checked here at 1 and 2 threads).
// - AMX (the Xeon, 2 threads): bf16 2.9-4.5x fp16 and 1.7x int8, but bf16 was not byte-
//   stable there at 2 threads (3,687 of 12,500 rows changed with the window). bf16 products now
//   run in fixed 64-row single-threaded chunks (core/ops/linear_block.h), the same primitive for
//   every row, which removes every row-count or thread-count dependence oneDNN 2.6's kernels have;
//   that is not verified on AMX (no AMX host here). Until the byte-stability test passes on an AMX
//   host, auto takes int8 there: exact integer sums, 1.6-2.6x fp16 in the run.
// Not measured here, so chosen conservatively:
// - below AVX2: fp16, the default of every earlier release (int8 and bf16 never ran on such CPUs).
// - AVX-512 without VNNI: int8 as on AVX2 (the same 7-bit weights and exact sums, so the same
//   scores as the AVX2 measurement; only the speed is unmeasured).
// - AVX512-VNNI and AVX512-BF16: int8 with 8-bit weights (exact sums; finer weights than the 7-bit
//   ones measured above). On the AVX512-BF16 EPYC of 2026-11-22, CTranslate2's VNNI int8 ran 1.3x
//   simscore's bf16 on the bert-base shape; bf16 products there are not verified byte-stable.
constexpr std::array<AutoPrecision, 6> kAutoPrecision{{
    {IsaClass::baseline, RunPrecision::fp16, "no AVX2: int8 and bf16 unmeasured on such CPUs"},
    {IsaClass::avx2, RunPrecision::int8,
     "measured on AVX2: 1.3x fp16's speed, STS-B Spearman -0.0023 from fp32, byte-stable"},
    {IsaClass::avx512, RunPrecision::int8, "as on AVX2: the same 7-bit weights and exact integer sums"},
    {IsaClass::avx512_vnni, RunPrecision::int8, "VNNI int8 products, 8-bit weights, exact integer sums"},
    {IsaClass::avx512_bf16, RunPrecision::int8,
     "VNNI int8 products, exact integer sums; bf16 not verified byte-stable here"},
    {IsaClass::amx, RunPrecision::int8,
     "AMX int8, exact integer sums; bf16 (1.7x faster on AMX) not yet verified byte-stable"},
}};

static_assert(
    [] {
      for (size_t i = 0; i < kAutoPrecision.size(); ++i)
        if (kAutoPrecision[i].isa != static_cast<IsaClass>(i)) return false;
      return true;
    }(),
    "kAutoPrecision has one row per IsaClass, in its order");

}  // namespace

const AutoPrecision& auto_precision(IsaClass isa) { return kAutoPrecision[static_cast<size_t>(isa)]; }

IsaClass onednn_isa_class() {
  // oneDNN asks the kernel for the AMX tile state itself; bf16_support() asks first, so that the
  // answer is the same whichever is asked first.
  (void)bf16_support();
  using dnnl::cpu_isa;
  switch (dnnl::get_effective_cpu_isa()) {
    case cpu_isa::avx512_core_amx: return IsaClass::amx;
    case cpu_isa::avx512_core_bf16: return IsaClass::avx512_bf16;
    case cpu_isa::avx512_core_vnni: return IsaClass::avx512_vnni;
    case cpu_isa::avx512_core: return IsaClass::avx512;
    case cpu_isa::avx2:
    case cpu_isa::avx2_vnni: return IsaClass::avx2;
    default: return IsaClass::baseline;
  }
}

ResolvedPrecision resolve_precision(std::string_view asked, GemmBackend kind) {
  if (asked == "auto" && kind == GemmBackend::openblas)  // fp32 products whatever the storage
    return {RunPrecision::fp16, "auto: fp16 (SIMSCORE_GEMM=openblas has fp32 products only)"};
  if (asked == "auto") {
    const IsaClass isa = onednn_isa_class();
    const AutoPrecision& choice = auto_precision(isa);
    return {choice.precision, "auto: " + std::string(run_precision_name(choice.precision)) + " (" +
                                  std::string(isa_class_name(isa)) + " host: " + std::string(choice.why) + ")"};
  }
  const std::optional<RunPrecision> given = parse_run_precision(asked);
  if (!given) throw std::invalid_argument("no precision \"" + std::string(asked) + "\"");
  return {*given, "given (--precision " + std::string(asked) + ")"};
}

}  // namespace simscore
