#pragma once
// Every file a run reads and writes, declared in one place and checked together before the model
// loads (the rule behind `sort -o` and `sponge`: decide each output's fate against every input and
// every other output before the first write). A command registers its output flags through
// RunFiles::add_output, so a new flag is checked, and walked by tests/run_files_test.cc (which finds
// the flags by their --help group), without a line of its own. How an output is then written
// (through, or as a temporary renamed into place) is io::OutputFile's one policy.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace simscore::cli {

// The --help group of every output flag: what the tests walk. Its type, as --help shows it, says
// its kind (OutputKind).
inline constexpr const char* kOutputGroup = "Output files";
inline constexpr const char* kFileType = "FILE";
inline constexpr const char* kNewDirectoryType = "NEW_DIR";

enum class OutputKind {
  file,           // a device, FIFO or descriptor written through; else FILE.partial renamed to FILE
  new_directory,  // convert's OUT_DIR: must not exist; built as .OUT_DIR.tmp-PID, renamed at the end
};

class RunFiles {
 public:
  // Registers the output flag (or positional) `names` on `command`, bound to `path` ("-": stdout,
  // "": not written). `what` names the content in messages ("the scores").
  CLI::Option* add_output(CLI::App& command, const std::string& names, std::string& path,
                          const std::string& help, const std::string& what,
                          OutputKind kind = OutputKind::file);
  // An input read from `path` ("-": stdin); `flag` names it in messages. Bound, read at check().
  void add_input(const std::string& flag, const std::string& path);
  // A repeatable input flag (eval's --scores FILE ...): each of its paths.
  void add_input(const std::string& flag, const std::vector<std::string>& paths);
  // The model directory (--model as given): its files are inputs too.
  void add_model(const std::string& model_flag);
  // Something else the command prints on stdout (eval's metrics table): no output may go there too.
  void add_stdout_use(const std::string& what);

  // CLI::ValidationError (exit 2) when an output is an input or one of the model's files, is
  // another output (by path, link, hard link or descriptor), or shares stdout with something else;
  // ResourceError (exit 5) when stdout is closed but used, an output is a directory (or, for a new
  // directory, exists), or its directory is missing, not a directory or not writable.
  void check() const;

 private:
  struct Output {
    std::string flag;  // as messages name it: "-o", "--report", "OUT_DIR"
    const std::string* path;
    std::string what;
    OutputKind kind;
  };
  struct Input {
    std::string flag;
    const std::string* path = nullptr;
    const std::vector<std::string>* paths = nullptr;  // a repeatable flag
  };
  std::vector<Output> outputs_;
  std::vector<Input> inputs_;
  const std::string* model_ = nullptr;
  std::vector<std::string> stdout_uses_;
};

// main() found descriptor 1 closed (`>&-`): an output on stdout is refused instead of discarded.
void mark_stdout_closed();

}  // namespace simscore::cli
