// simscore: score sentence pairs with BERT-family encoders on the CPU.
// Parses the command line, runs one subcommand, and maps every error kind to its exit code.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <system_error>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "cli/blas_setup.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/interrupt.h"
#include "core/errors.h"
#include "io/output_file.h"

namespace simscore::cli {
namespace {

// Every window allocates and frees buffers of tens of MiB (encodings, embeddings). glibc raises its
// mmap threshold each time such a block is freed, after which blocks that size come from the heap,
// fragment it and are never returned: peak RSS climbed window after window (MiniLM, 10,000-row
// windows: 125 MiB for one window, 145 MiB for four, 166 MiB for twenty). A fixed threshold keeps
// large blocks in mmap, given back on free, and the peak flat (126 MiB for four windows).
void keep_memory_flat() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
}

int run(int argc, char** argv) {
  CLI::App app{"simscore: semantic similarity of sentence pairs with BERT-family encoders"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "simscore 0.1.0");
  const std::vector<Run> commands = {add_score_command(app), add_eval_command(app),
                                     add_tokenize_command(app),
                                     add_convert_command(app), add_inspect_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kSuccess : kUsageError;
  }
  for (const Run& command : commands)
    if (int code = command(); code >= 0) return code;
  return kUsageError;
}

}  // namespace
}  // namespace simscore::cli

int main(int argc, char** argv) {
  using namespace simscore;
  using namespace simscore::cli;
  ensure_library_settings(argv);
  keep_memory_flat();
  install_signal_handlers();
  try {
    return run(argc, argv);
  } catch (const io::BrokenPipe&) {
    return kSuccess;  // the reader went away (`| head`): end quietly, like other filters
  } catch (const Interrupted&) {
    fmt::print(stderr, "simscore: interrupted\n");
    return kInterrupted;
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "simscore: {}\n", e.what());
    return kUsageError;
  } catch (const InputError& e) {
    if (e.line())
      fmt::print(stderr, "simscore: {}:{}: {}\n", e.file(), e.line(), e.what());
    else
      fmt::print(stderr, "simscore: {}: {}\n", e.file(), e.what());
    return kInputError;
  } catch (const ModelError& e) {
    fmt::print(stderr, "simscore: model error: {}\n", e.what());
    return kModelError;
  } catch (const ResourceError& e) {
    fmt::print(stderr, "simscore: resource error: {}\n", e.what());
    return kResourceError;
  } catch (const std::system_error& e) {
    fmt::print(stderr, "simscore: {}\n", e.what());
    return kResourceError;
  } catch (const std::exception& e) {
    fmt::print(stderr, "simscore: internal error: {}\n", e.what());
    return kInternalError;
  }
}
