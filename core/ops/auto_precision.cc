#include "core/ops/auto_precision.h"

#include <array>
#include <dnnl.hpp>
#include <stdexcept>

#include "core/ops/linear_block.h"

namespace simscore {
namespace {

// One row per class, in IsaClass's order. A class's precision must be byte-stable there (a row's
// score never depends on its batch, window or thread count: tests/e2e/test_byte_stable.py) and
// within 0.003 of fp32 on all-MiniLM-L6-v2's STS-B test Spearman (fp32 0.820325) and
// multilingual-e5-small's whole-LCQMC best-threshold F1 (fp32 0.840769).
//
// Measured on 2026-12-06 on an AMD EPYC with AVX512-BF16 and VNNI (no AMX), the lower classes by
// capping oneDNN and simscore with ONEDNN_MAX_CPU_ISA; MiniLM on 2,000 LCQMC test rows, 2 threads,
// every run alternated, two rounds, pairs/s (the host was shared, load 11-13: ratios only):
//   class         fp32       fp16       int8       bf16
//   AVX512-BF16   167 / 197  196 / 199  320 / 273  283 / 310
//   AVX512-VNNI   169 / 151  232 / 156  336 / 300  -
//   AVX-512       216 / 155  295 / 178  302 / 201  -
//   AVX2          120 /  90   90 / 114  143 / 206  -
// Accuracy: fp16 0.820329 / 0.840769; bf16 0.820396 / 0.840582; int8 with VNNI (8-bit weights)
// 0.817907 (-0.0024) / 0.840610; int8 without (7-bit, docs/performance.md "int8") 0.817981 / 0.840662. Every
// precision passed the byte-stability test on AVX512-BF16 (bf16 products in one-thread 64-row
// chunks, core/ops/linear_block.h) and int8's sums are exact integers.
// So:
// - AVX2: int8, 1.6-1.8x fp16 (oneDNN's AVX2 fp32 kernel is gemm:jit, the slowest here).
// - AVX-512 without VNNI: fp16. int8 runs there on gemm:jit at 1.02-1.13x fp16: not worth its
//   -0.0023 Spearman.
// - AVX512-VNNI: int8, 1.4-1.9x fp16.
// - AVX512-BF16: bf16. As fast as int8 here (296 against 296 pairs/s over the two rounds, both
//   1.5x fp16), with fp16's accuracy (+0.0001 Spearman) and the smallest RSS (0.92x fp16's). One
//   quieter bench/end_to_end.py run had int8 at 1.17x bf16 (docs/performance.md, host C); bf16 is
//   kept for its accuracy (int8's -0.0024 is near the 0.003 bound) until alternated runs on a quiet
//   host say otherwise.
// - AMX: int8, chosen conservatively (no AMX host here). The AMX run had bf16 at 1.7x int8,
//   but bf16 not byte-stable at 2 threads; bf16 products now run in fixed one-thread chunks, which
//   removes every dependence on the batch or thread count by construction, yet neither that nor
//   its speed on AMX is measured. Switch this row to bf16 once tests/e2e/test_byte_stable.py passes
//   on an AMX host and bf16 still beats int8 there.
// - below AVX2: fp16, the default of every earlier release (nothing else measured on such CPUs).
constexpr std::array<AutoPrecision, 6> kAutoPrecision{{
    {IsaClass::baseline, RunPrecision::fp16, "int8 and bf16 unmeasured on such CPUs"},
    {IsaClass::avx2, RunPrecision::int8, "int8 measured 1.6-1.8x fp16, STS-B Spearman -0.0023 from fp32"},
    {IsaClass::avx512, RunPrecision::fp16, "int8 without VNNI measured only 1.02-1.13x fp16"},
    {IsaClass::avx512_vnni, RunPrecision::int8, "VNNI int8 measured 1.4-1.9x fp16, Spearman -0.0024"},
    {IsaClass::avx512_bf16, RunPrecision::bf16,
     "bf16 measured as fast as int8 (1.5x fp16) with fp16's accuracy and less memory"},
    {IsaClass::amx, RunPrecision::int8,
     "int8 by caution: bf16 (1.7x int8 on AMX) not yet verified byte-stable on AMX"},
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
