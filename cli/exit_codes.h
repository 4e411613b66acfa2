#pragma once
// The process exit codes, one per outcome; docs/usage.md and the man page (cli/manual_text.cc)
// document the same table (tests/e2e/test_docs.py checks they agree).

namespace simscore::cli {

enum ExitCode : int {
  kSuccess = 0,
  kInternalError = 1,  // a bug: please report it
  kUsageError = 2,     // bad command-line arguments
  kInputError = 3,     // an input file or row is malformed (the message names file and line)
  kModelError = 4,     // the model directory is missing files or is inconsistent
  kResourceError = 5,  // memory budget, or output cannot be written (disk full, permissions)
  kInterrupted = 130,  // stopped by SIGINT/SIGTERM; complete rows were flushed
};

}  // namespace simscore::cli
