#include "cli/console.h"

#include <cerrno>
#include <cstring>
#include <iostream>

#include "cli/exit_codes.h"

namespace simscore::cli {

int finish_stdout(int code) {
  std::cout.flush();  // CLI11's --help and version text go through std::cout
  const bool failed = std::fflush(stdout) != 0 || std::ferror(stdout) || std::cout.fail();
  if (!failed) return code;
  const int error = errno;
  if (error == EPIPE) return code;  // the reader went away (`| head`): as for score's rows
  print_error("simscore: cannot write to stdout: {}\n", std::strerror(error));
  return code == kSuccess ? kResourceError : code;
}

}  // namespace simscore::cli
