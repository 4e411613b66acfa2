#pragma once
// What `score` and `eval` check about their outputs before any work is done (an output that is an
// input, two outputs that are one file, a directory that cannot be written), and the fingerprint
// that ties FILE.partial to the input and options that wrote it, so --resume cannot mix runs.

#include <string>

#include "cli/input_options.h"
#include "cli/score_output.h"
#include "cli/scoring_session.h"

namespace simscore::cli {

// Throws CLI::ValidationError when -o or --report is the input (or -o's FILE.partial is), or when
// -o and --report name one file; ResourceError when an output is a directory or its directory is
// not writable. Devices, FIFOs and descriptors are written in place and never refused.
void check_outputs(const InputOptions& input, const std::string& output, const std::string& report);

// "key: value" lines: the input (path, size, modification time, a hash of its first 64 KiB) and
// every option that changes what is written or which rows a window holds.
std::string resume_fingerprint(const InputOptions& input, const OutputOptions& output,
                               const ScoringSession& session);

}  // namespace simscore::cli
