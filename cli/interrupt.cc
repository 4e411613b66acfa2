#include "cli/interrupt.h"

#include <csignal>

namespace simscore::cli {
namespace {

volatile std::sig_atomic_t stop_flag = 0;

extern "C" void on_stop_signal(int signal) {
  if (stop_flag) {
    // A second signal: the user does not want to wait for the batch to finish.
    std::signal(signal, SIG_DFL);
    std::raise(signal);
  }
  stop_flag = 1;
}

}  // namespace

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() { return stop_flag != 0; }

}  // namespace simscore::cli
