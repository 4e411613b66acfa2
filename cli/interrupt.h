#pragma once
// SIGINT / SIGTERM ask the run to stop at the next batch boundary (so what is complete can be
// flushed); SIGPIPE is ignored so a closed downstream pipe surfaces as a write error we handle.

namespace simscore::cli {

void install_signal_handlers();
bool stop_requested();

}  // namespace simscore::cli
