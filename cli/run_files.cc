#include "cli/run_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <system_error>

#include "cli/model_options.h"
#include "core/errors.h"
#include "io/output_file.h"

namespace simscore::cli {
namespace {

namespace fs = std::filesystem;

bool stdout_closed = false;

struct FileId {
  dev_t dev;
  ino_t ino;
  mode_t mode;
  bool operator==(const FileId& o) const { return dev == o.dev && ino == o.ino; }
};

std::optional<FileId> id_of(const struct stat& info) { return FileId{info.st_dev, info.st_ino, info.st_mode}; }

// The file `path` names, links followed; stdin's by its descriptor.
std::optional<FileId> file_id(const std::string& path) {
  struct stat info;
  if (path == "-") return ::fstat(STDIN_FILENO, &info) == 0 ? id_of(info) : std::nullopt;
  return ::stat(path.c_str(), &info) == 0 ? id_of(info) : std::nullopt;
}

// A device keeps nothing we write (/dev/null) or shows each write as it comes (a terminal): two
// outputs, or an input and an output, may share one. A file, FIFO, pipe or socket may not.
bool shareable(const FileId& id) { return S_ISCHR(id.mode) || S_ISBLK(id.mode); }

// The path as the kernel will resolve it, for comparing names that do not exist yet.
fs::path normal(const fs::path& path) {
  std::error_code error;
  const fs::path canonical = fs::weakly_canonical(path, error);
  return error ? fs::absolute(path).lexically_normal() : canonical;
}

// "-o" from "--output,-o": messages name a flag as users type it most.
std::string display_flag(const std::string& names) {
  std::string shortest;
  for (size_t start = 0; start <= names.size();) {
    size_t comma = names.find(',', start);
    if (comma == std::string::npos) comma = names.size();
    const std::string name = names.substr(start, comma - start);
    if (shortest.empty() || (name.size() == 2 && name[0] == '-')) shortest = name;
    start = comma + 1;
  }
  return shortest;
}

// Why nothing can be created in `dir` ("" when it can). A file is created there, unnamed
// (O_TMPFILE), to know: access() says yes to root on any directory, even one whose creation fails.
std::string directory_problem(const fs::path& dir) {
  struct stat info;
  if (::stat(dir.c_str(), &info) != 0)
    return fmt::format("its directory {} {}", dir.string(),
                       errno == ENOENT ? "does not exist" : std::string("cannot be read: ") + std::strerror(errno));
  if (!S_ISDIR(info.st_mode)) return fmt::format("{} is not a directory", dir.string());
  const int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return "";
  }
  const bool unsupported = errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL;
  if (unsupported && ::access(dir.c_str(), W_OK | X_OK) == 0) return "";
  return fmt::format("its directory {} is not writable ({})", dir.string(), std::strerror(errno));
}

// What the run will write for one output: the names it creates or replaces (its target, links
// followed, and its side files), and the identity of what it writes through.
struct Written {
  std::vector<fs::path> names;
  std::optional<FileId> through;  // a device, FIFO or descriptor written in place
};

Written written_by(const std::string& flag, const std::string& path, OutputKind kind) {
  // A new directory is renamed onto its name: a link there would itself be replaced.
  if (struct stat link; kind == OutputKind::new_directory && ::lstat(path.c_str(), &link) == 0)
    throw ResourceError(fmt::format("{}: already exists; convert writes a new directory", path));
  fs::path target;
  try {
    target = io::output_target(path);
  } catch (const std::system_error& error) {
    throw ResourceError(fmt::format("{} {}: {}", flag, path, error.what()));
  }
  struct stat info;
  const bool exists = ::stat(target.c_str(), &info) == 0;
  Written w;
  if (kind == OutputKind::file) {
    if (exists && S_ISDIR(info.st_mode)) throw ResourceError(fmt::format("cannot write {}: it is a directory", path));
    if (io::names_a_descriptor(target.string()) || (exists && !S_ISREG(info.st_mode))) {
      if (exists) w.through = id_of(info);
      return w;
    }
  }
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  if (const std::string problem = directory_problem(dir); !problem.empty())
    throw ResourceError(fmt::format("cannot write {} ({}): {}", path, flag, problem));
  const fs::path full = normal(target);
  w.names.push_back(full);
  if (kind == OutputKind::new_directory) {
    w.names.push_back(full.parent_path() / fmt::format(".{}.tmp-{}", full.filename().string(), ::getpid()));
  } else {
    w.names.push_back(fs::path(full.string() + ".partial"));
    w.names.push_back(fs::path(full.string() + ".partial.fingerprint"));
  }
  return w;
}

}  // namespace

void mark_stdout_closed() { stdout_closed = true; }

CLI::Option* RunFiles::add_output(CLI::App& command, const std::string& names, std::string& path,
                                  const std::string& help, const std::string& what, OutputKind kind) {
  outputs_.push_back({display_flag(names), &path, what, kind});
  // The default shown ("-": stdout) also tells the tests which output owns stdout when not given.
  return command.add_option(names, path, help)
      ->capture_default_str()
      ->group(kOutputGroup)
      ->type_name(kind == OutputKind::new_directory ? kNewDirectoryType : kFileType);
}

void RunFiles::add_input(const std::string& flag, const std::string& path) { inputs_.push_back({flag, &path}); }

void RunFiles::add_input(const std::string& flag, const std::vector<std::string>& paths) {
  inputs_.push_back({flag, nullptr, &paths});
}

void RunFiles::add_model(const std::string& model_flag) { model_ = &model_flag; }

void RunFiles::add_stdout_use(const std::string& what) { stdout_uses_.push_back(what); }

void RunFiles::check() const {
  // stdout: one user at most, and only while it is open.
  std::vector<std::pair<std::string, std::string>> on_stdout;  // (flag, what)
  for (const std::string& what : stdout_uses_) on_stdout.emplace_back("", what);
  for (const Output& o : outputs_)
    if (*o.path == "-") on_stdout.emplace_back(o.flag, o.what);
  if (stdout_closed && !on_stdout.empty())
    throw ResourceError(fmt::format("standard output is closed (`>&-`), and {} would be written there and "
                                    "lost; give {} a file, or open stdout",
                                    on_stdout.front().second,
                                    on_stdout.front().first.empty() ? "-o" : on_stdout.front().first));
  // The second user is always a flag: the command's own uses of stdout are listed first.
  if (on_stdout.size() > 1)
    throw CLI::ValidationError(on_stdout[1].first,
                               fmt::format("-: {} would be mixed into {} on stdout; write one of them to a file",
                                           on_stdout[1].second, on_stdout[0].second));

  // What the run reads: its inputs, and every file of the model directory (links followed).
  struct Read {
    std::string name;  // as messages say it: "the input in.tsv", "the model's file config.json"
    std::optional<FileId> id;
  };
  std::vector<Read> reads;
  const auto add_read = [&reads](const std::string& flag, const std::string& path) {
    if (path.empty()) return;
    const std::string name = path == "-" ? "<stdin>" : path;
    reads.push_back({(flag == "input" ? "the input " : "the " + flag + " input ") + name, file_id(path)});
  };
  for (const Input& input : inputs_) {
    if (input.path) add_read(input.flag, *input.path);
    if (input.paths)
      for (const std::string& path : *input.paths) add_read(input.flag, path);
  }
  if (model_) {
    try {
      const fs::path dir = resolve_model_dir(*model_);
      std::error_code error;
      for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink, error);
           !error && it != fs::recursive_directory_iterator(); it.increment(error))
        if (const auto id = file_id(it->path().string()); id && S_ISREG(id->mode))
          reads.push_back({"the model's file " + it->path().string(), id});
    } catch (const std::exception&) {
      // Not found: loading says so, after the outputs are known to be fine.
    }
  }

  // Reading and writing one file (`score in.tsv >> in.tsv`) would read our own rows back.
  if (struct stat info; !on_stdout.empty() && ::fstat(STDOUT_FILENO, &info) == 0)
    for (const Read& read : reads)
      if (read.id && *read.id == *id_of(info) && !shareable(*read.id))
        throw CLI::ValidationError(on_stdout.front().first.empty() ? "stdout" : on_stdout.front().first,
                                   fmt::format("stdout is {}: {} would be written into what is read", read.name,
                                               on_stdout.front().second));

  std::vector<std::pair<const Output*, Written>> written;
  // What goes to stdout is one more output, for /dev/stdout and the like to be compared with.
  const Output stdout_output{"stdout", nullptr, on_stdout.empty() ? "" : on_stdout.front().second,
                             OutputKind::file};
  if (struct stat info; !on_stdout.empty() && ::fstat(STDOUT_FILENO, &info) == 0)
    written.emplace_back(&stdout_output, Written{{}, id_of(info)});
  for (const Output& o : outputs_) {
    if (o.path->empty() || *o.path == "-") continue;
    Written w = written_by(o.flag, *o.path, o.kind);
    const auto refuse_input = [&](const Read& read, const std::string& name) {
      throw CLI::ValidationError(
          o.flag, name == *o.path ? fmt::format("{} is {}: refusing to overwrite it", name, read.name)
                                  : fmt::format("{} ({} writes it) is {}: refusing to overwrite it", name,
                                                *o.path, read.name));
    };
    for (const Read& read : reads) {
      if (!read.id || shareable(*read.id)) continue;
      if (w.through && *w.through == *read.id) refuse_input(read, *o.path);
      for (const fs::path& name : w.names)
        if (const auto id = file_id(name.string()); id && *id == *read.id)
          refuse_input(read, name == w.names.front() ? *o.path : name.string());
    }
    for (const auto& [other, before] : written) {
      bool same = w.through && before.through && *w.through == *before.through && !shareable(*w.through);
      for (const fs::path& name : w.names)
        for (const fs::path& earlier : before.names) {
          const auto a = file_id(name.string()), b = file_id(earlier.string());
          same = same || name == earlier || (a && b && *a == *b);
        }
      if (same)
        throw CLI::ValidationError(o.flag, fmt::format("{} is also {}: {} would {} {}", *o.path, other->flag,
                                                       o.what, w.through ? "be mixed into" : "replace",
                                                       other->what));
    }
    written.emplace_back(&o, std::move(w));
  }
}

}  // namespace simscore::cli
