#pragma once
// Settings that libraries read only when they load, before main(), made right without the user
// setting anything: if one is wrong, the process sets it and re-executes itself once.
//
// - Debian 12's OpenBLAS 0.3.21 does not recognise recent Intel CPUs (e.g. Sapphire Rapids) and
//   falls back to SSE3 "Prescott" kernels, an order of magnitude slower: OPENBLAS_CORETYPE.
// - libgomp's threads spin while they wait for work; on a machine where other processes want the
//   same cores, the spinning thread steals the time the working one needs, and two threads run
//   slower than one (docs/performance.md "Threads"): OMP_WAIT_POLICY=passive unless the user chose
//   a policy.

namespace simscore::cli {

// Returns only if the settings in force are right (or cannot be improved); otherwise re-executes the
// process with them set. Call first thing in main(), before reading any input.
void ensure_library_settings(char** argv);

// "SkylakeX (set by simscore)" etc.: what ran and why, for reports.
const char* blas_kernel_note();
// "passive (set by simscore)" or the user's OMP_WAIT_POLICY.
const char* wait_policy_note();

}  // namespace simscore::cli
