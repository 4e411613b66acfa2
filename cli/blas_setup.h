#pragma once
// Makes sure BLAS runs the right kernels for this CPU without the user setting anything.
//
// Debian 12's OpenBLAS 0.3.21 does not recognise recent Intel CPUs (e.g. Sapphire Rapids) and falls
// back to SSE3 "Prescott" kernels, an order of magnitude slower. It reads OPENBLAS_CORETYPE only when
// the library loads, before main(), so the fix is to set it and re-execute ourselves once.

namespace simscore::cli {

// Returns only if the kernel in use is right (or cannot be improved); otherwise re-executes the
// process with OPENBLAS_CORETYPE set. Call first thing in main(), before reading any input.
void ensure_blas_kernel(char** argv);

// "SkylakeX (set by simscore)" etc.: what ran and why, for reports.
const char* blas_kernel_note();

}  // namespace simscore::cli
