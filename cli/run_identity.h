#pragma once
// What identifies a run for --resume: the input (path, size, modification time, a hash of its
// first 64 KiB), every setting that changes what is written or which rows a window holds, taken
// from the typed values the run itself uses (the scoring mode, pooling, prompts, precision and
// maximum length as resolved from the flags and the model directory), and the model directory's
// files. A setting that changes a score joins here, and a resume with another value is refused.

#include <string>

#include "cli/input_options.h"
#include "cli/score_output.h"
#include "cli/scoring_session.h"

namespace simscore::cli {

// "key: value" lines, keys named as the user knows them (a flag where one sets the value), so a
// refusal says what differs.
std::string resume_fingerprint(const InputOptions& input, const OutputOptions& output,
                               const ScoringSession& session);

// Before the model loads: CLI::ValidationError when --resume cannot be honoured: no -o FILE, an
// output written through (a device, a FIFO), or an input that is not a regular file (stdin, a pipe:
// what was read before cannot be checked to be what is read now).
void check_resume(const InputOptions& input, const OutputOptions& output);

}  // namespace simscore::cli
