#include "cli/run_identity.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "core/scoring/pooling.h"
#include "io/output_file.h"

namespace simscore::cli {
namespace {

namespace fs = std::filesystem;

// FNV-1a of the first `limit` bytes of a regular file.
uint64_t head_hash(const std::string& path, size_t limit) {
  uint64_t hash = 1469598103934665603ull;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return 0;
  char buffer[1 << 16];
  for (size_t done = 0; done < limit;) {
    const ssize_t n = ::pread(fd, buffer, std::min(sizeof buffer, limit - done), static_cast<off_t>(done));
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) hash = (hash ^ static_cast<unsigned char>(buffer[i])) * 1099511628211ull;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return hash;
}

std::string stamp(const struct stat& info) {
  return fmt::format("{} bytes, modified {}.{:09}", info.st_size, info.st_mtim.tv_sec, info.st_mtim.tv_nsec);
}

// With the size and the modification time, a hash of the first 64 KiB tells an input edited in
// place, or replaced by another file of the same size, apart.
std::string input_fingerprint(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) return "input: " + path + "\n";
  return fmt::format("input: {}\ninput size: {}\ninput modified: {}.{:09}\ninput hash: {:016x}\n", path,
                     info.st_size, info.st_mtim.tv_sec, info.st_mtim.tv_nsec, head_hash(path, 1 << 16));
}

// Every file of the model directory (links followed, hidden entries left out): its size and time,
// and for the small ones (configs, tokenizer files) a hash of all of it, so that a pooling or
// tokenizer config changed in place is caught even when its size is not.
std::string model_fingerprint(const fs::path& dir) {
  constexpr size_t kSmall = size_t{1} << 20;
  std::map<std::string, std::string> files;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    const fs::path relative = it->path().lexically_relative(dir);
    if (relative.filename().string().starts_with(".")) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    struct stat info;
    if (::stat(it->path().c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    std::string value = stamp(info);
    if (static_cast<size_t>(info.st_size) <= kSmall)
      value += fmt::format(", hash {:016x}", head_hash(it->path().string(), kSmall));
    files[relative.string()] = value;
  }
  std::string lines;
  for (const auto& [name, value] : files) lines += fmt::format("model file {}: {}\n", name, value);
  return lines;
}

}  // namespace

void check_resume(const InputOptions& input, const OutputOptions& output) {
  if (!output.resume) return;
  if (output.path.empty() || output.path == "-")
    throw CLI::ValidationError("--resume", "needs -o FILE: it continues FILE.partial");
  if (!io::OutputFile::replaced_atomically(output.path))
    throw CLI::ValidationError("--resume", output.path + " is not a regular file: there is no FILE.partial to continue");
  struct stat info;
  if (input.path == "-" || (::stat(input.path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)))
    throw CLI::ValidationError(
        "--resume", fmt::format("needs the input as a regular file, and {} is {}: what the interrupted run read "
                                "cannot be checked to be what this one reads; save the input to a file and "
                                "score that",
                                input.path == "-" ? "<stdin>" : input.path,
                                input.path == "-" ? "standard input" : "a pipe or device"));
}

std::string resume_fingerprint(const InputOptions& input, const OutputOptions& output,
                               const ScoringSession& session) {
  const io::PairColumns& c = input.columns;
  const io::LoadedModel& model = session.model();
  const ModelScoring& s = model.scoring;
  const auto quoted = [](const std::string& text) { return "\"" + text + "\""; };
  return input_fingerprint(input.path) +
         fmt::format("--format: {}\n--header: {}\n--text-a: {}\n--text-b: {}\n--id: {}\n--label: {}\n"
                     "--on-error: {}\n--shard: {}/{}\n--with-input: {}\n--window: {}\n",
                     input.format.empty() ? "(from the name)" : input.format, input.header,
                     c.text_a.empty() ? "(default)" : c.text_a, c.text_b.empty() ? "(default)" : c.text_b,
                     c.id.value_or("(none)"), c.label.value_or("(none)"), input.on_error, input.shard.index,
                     input.shard.count, output.with_input, session.pair_run_options().window) +
         fmt::format("--model: {}\n--precision: {}\nproducts: {}\n--mode: {}\npooling: {}\nnormalize: {}\n"
                     "--max-length: {}\npositive label: {}\nprompt a (--prompt-a, --prompt): {}\n"
                     "prompt b (--prompt-b, --prompt): {}\n",
                     model.dir.string(), session.precision(), session.product_precisions(),
                     s.mode == ScoringMode::bi ? "bi" : "cross", pooling_name(s.pooling), s.normalize,
                     s.max_length, s.positive_label, quoted(session.prompts().a), quoted(session.prompts().b)) +
         model_fingerprint(model.dir);
}

}  // namespace simscore::cli
