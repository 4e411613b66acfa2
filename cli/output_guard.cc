#include "cli/output_guard.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errors.h"
#include "io/output_file.h"

namespace simscore::cli {
namespace {

// FNV-1a of the first 64 KiB: with the size and the modification time, an input edited in place
// or replaced by another file of the same size is told apart.
std::string input_fingerprint(const std::string& path) {
  if (path == "-") return "input: <stdin>\n";
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) return "input: " + path + "\n";
  uint64_t hash = 1469598103934665603ull;
  if (const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK); fd >= 0) {
    char buffer[1 << 16];
    const ssize_t n = S_ISREG(info.st_mode) ? ::pread(fd, buffer, sizeof buffer, 0) : 0;
    for (ssize_t i = 0; i < n; ++i) hash = (hash ^ static_cast<unsigned char>(buffer[i])) * 1099511628211ull;
    ::close(fd);
  }
  return fmt::format("input: {}\ninput size: {}\ninput modified: {}.{:09}\ninput hash: {:016x}\n", path,
                     info.st_size, info.st_mtim.tv_sec, info.st_mtim.tv_nsec, hash);
}

}  // namespace

void check_outputs(const InputOptions& input, const std::string& output, const std::string& report) {
  for (const auto& [flag, path] : {std::pair{"-o", output}, std::pair{"--report", report}}) {
    if (const std::string problem = io::output_path_problem(path); !problem.empty())
      throw ResourceError(problem);
    // A device or FIFO is written in place: reading and writing one (a terminal) replaces nothing.
    if (!io::OutputFile::replaced_atomically(path)) continue;
    if (io::same_file(path, input.path) || io::same_file(path + ".partial", input.path))
      throw CLI::ValidationError(flag, fmt::format("{} is the input {}: refusing to overwrite it", path,
                                                   input.path));
  }
  // Two outputs onto one device (`-o /dev/null --report /dev/null`) replace nothing.
  const bool same_output = io::OutputFile::replaced_atomically(output) &&
                           (output == report || io::same_file(output, report));
  if (same_output)
    throw CLI::ValidationError("--report", fmt::format("{} is also -o: the report would replace the scores",
                                                       report));
}

std::string resume_fingerprint(const InputOptions& input, const OutputOptions& output,
                               const ScoringSession& session) {
  const io::PairColumns& c = input.columns;
  const io::LoadedModel& model = session.model();
  return input_fingerprint(input.path) +
         fmt::format("format: {}\nheader: {}\ncolumns: {} {} id={} label={}\non-error: {}\nshard: {}/{}\n"
                     "with-input: {}\nwindow: {}\nmodel: {}\nprecision: {}\nproducts: {}\nmax-length: {}\n",
                     input.format.empty() ? "(from the name)" : input.format, input.header, c.text_a,
                     c.text_b, c.id.value_or("-"), c.label.value_or("-"), input.on_error,
                     input.shard.index, input.shard.count, output.with_input,
                     session.pair_run_options().window, model.dir.string(),
                     session.precision(), session.product_precisions(), model.scoring.max_length);
}

}  // namespace simscore::cli
