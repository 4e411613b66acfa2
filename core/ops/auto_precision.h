#pragma once
// What `--precision auto` (the default) runs: one precision per instruction-set class, in one table
// (kAutoPrecision, core/ops/auto_precision.cc says why each), read by every command through
// resolve_precision. A run records the precision it resolved to (never "auto"): `-v`, the report,
// `inspect` and the --resume fingerprint.

#include <optional>
#include <string>
#include <string_view>

#include "core/cpu/isa_class.h"
#include "core/ops/gemm.h"
#include "core/ops/precision.h"

namespace simscore {

struct AutoPrecision {
  IsaClass isa;
  RunPrecision precision;
  std::string_view why;  // the decision's evidence, short: it ends up in "-v" and the report
};

// The precision auto picks on `isa`.
const AutoPrecision& auto_precision(IsaClass isa);

// This process's class: oneDNN's effective ISA (dnnl::get_effective_cpu_isa), the CPU's lowered by
// $ONEDNN_MAX_CPU_ISA; AMX only where the kernel grants the tile state.
IsaClass onednn_isa_class();

// A precision a run resolved: the one given, or auto's for this host, and why.
struct ResolvedPrecision {
  RunPrecision precision = RunPrecision::fp16;
  std::string reason;  // "auto: int8 (AVX2: ...)" or "given (--precision fp16)"
};
// `asked` is a precision's name or "auto" (the command line checked it); throws
// std::invalid_argument for anything else. Auto with OpenBLAS (fp32 products only) keeps fp16.
ResolvedPrecision resolve_precision(std::string_view asked, GemmBackend kind);

}  // namespace simscore
