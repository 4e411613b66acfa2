// simscore: score sentence pairs with BERT-family encoders on the CPU.
// Parses the command line, runs one subcommand, and maps every error kind to its exit code.

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <new>
#include <system_error>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "cli/blas_setup.h"
#include "cli/commands.h"
#include "cli/console.h"
#include "cli/exit_codes.h"
#include "cli/input_options.h"
#include "cli/interrupt.h"
#include "cli/manual.h"
#include "cli/manual_text.h"
#include "cli/run_files.h"
#include "cli/usage_hint.h"
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
  app.set_version_flag("--version", kVersionText);
  const std::vector<Run> commands = {add_score_command(app), add_eval_command(app),
                                     add_tokenize_command(app),
                                     add_convert_command(app), add_inspect_command(app)};
  add_examples_to_help(app);
  if (int code = write_manual_if_asked(app, argc, argv); code >= 0) return code;  // the build's man page
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);  // --help, --version
    // Like every other error: one line naming the program, then how to go on.
    std::string hint = usage_hint(app, argc, argv);
    fmt::print(stderr, "simscore: {}\n{}Run `simscore {}--help` for the options.\n", e.what(),
               hint.empty() ? "" : "simscore: " + hint + "\n",
               app.get_subcommands().empty() ? "" : app.get_subcommands().front()->get_name() + " ");
    return kUsageError;
  }
  for (const Run& command : commands)
    if (int code = command(); code >= 0) return code;
  return kUsageError;
}

// A standard descriptor closed by the caller (`<&-`) would be taken by the next file we open, and
// stdin would then read that file (or rows would be written into it): /dev/null holds the number,
// and reading stdin is refused (mark_stdin_closed, open_pairs); so is writing to a closed stdout
// (mark_stdout_closed, RunFiles::check), which would otherwise discard every score.
void occupy_closed_standard_streams() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int null = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (null >= 0 && null != fd) ::close(null);  // a lower descriptor was free: leave it
    if (fd == 0) mark_stdin_closed();
    if (fd == 1) mark_stdout_closed();
  }
}

// Runs the command and maps every error kind to its exit code.
int run_guarded(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const io::BrokenPipe&) {
    return kSuccess;  // the reader went away (`| head`): end quietly, like other filters
  } catch (const Interrupted&) {
    print_error("simscore: interrupted\n");
    return kInterrupted;
  } catch (const CLI::ParseError& e) {
    print_error("simscore: {}\n", e.what());
    return kUsageError;
  } catch (const InputError& e) {
    if (e.line())
      print_error("simscore: {}:{}: {}\n", e.file(), e.line(), e.what());
    else
      print_error("simscore: {}: {}\n", e.file(), e.what());
    return kInputError;
  } catch (const ModelError& e) {
    print_error("simscore: model error: {}\n", e.what());
    return kModelError;
  } catch (const io::OutputRefused& e) {
    print_error("simscore: {}\n", e.what());
    return kResourceError;
  } catch (const ResourceError& e) {
    print_error("simscore: resource error: {}\n", e.what());
    return kResourceError;
  } catch (const std::bad_alloc&) {
    print_error("simscore: resource error: out of memory (--max-memory sizes the run to fit)\n");
    return kResourceError;
  } catch (const std::system_error& e) {
    print_error("simscore: {}\n", e.what());
    return kResourceError;
  } catch (const std::exception& e) {
    print_error("simscore: internal error: {}\n", e.what());
    return kInternalError;
  }
}

}  // namespace
}  // namespace simscore::cli

int main(int argc, char** argv) {
  using namespace simscore::cli;
  // Before the standard streams are occupied: a re-executed process must still see a closed stdin.
  ensure_library_settings(argv);
  occupy_closed_standard_streams();
  keep_memory_flat();
  install_signal_handlers();
  return finish_stdout(run_guarded(argc, argv));
}
