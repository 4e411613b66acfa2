// Every output the command line declares (cli/run_files.h), walked against every kind of target:
// the input by path, by link and as stdin; another output (by name and by hard link); stdout by
// name and by descriptor; a device and a FIFO (made under the test's own directory, never /dev);
// a symlink; a directory; a missing, unwritable or non-directory parent. The flags come from the
// commands' own registration (their "Output files" group), so a new output flag is walked here
// without a line of its own. The model is missing on purpose: a target the guard accepts ends in
// the model error (exit 4) before anything is written; one it refuses ends in exit 2 or 5 with
// every file of the directory as it was.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "cli/commands.h"
#include "cli/run_files.h"
#include "cli/run_identity.h"
#include "test_paths.h"

namespace simscore {
namespace {

namespace fs = std::filesystem;

constexpr int kUsage = 2, kModel = 4, kResource = 5;

struct Declared {
  std::string command;
  std::string flag;  // "" for a positional (convert's OUT_DIR)
  bool new_directory = false;
  bool stdout_by_default = false;  // "-" when not given: stdout is this output's already
};

// The outputs as the command line registers them.
std::vector<Declared> declared_outputs() {
  CLI::App app;
  const std::vector<cli::Run> runs = {cli::add_score_command(app), cli::add_eval_command(app),
                                      cli::add_tokenize_command(app), cli::add_convert_command(app)};
  std::vector<Declared> outputs;
  for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; }))
    for (const CLI::Option* option : command->get_options())
      if (option->get_group() == cli::kOutputGroup)
        outputs.push_back({command->get_name(), option->get_positional() ? "" : option->get_name(),
                           option->get_type_name() == cli::kNewDirectoryType, option->get_default_str() == "-"});
  return outputs;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every name under `dir` with its type, target and content: what a refused run must leave as it was.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> state;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    struct stat info;
    ::lstat(entry.path().c_str(), &info);
    std::string value = std::to_string(info.st_mode) + ":" + std::to_string(info.st_nlink);
    if (S_ISLNK(info.st_mode)) value += "->" + fs::read_symlink(entry.path()).string();
    if (S_ISREG(info.st_mode)) value += "=" + slurp(entry.path());
    state[entry.path().lexically_relative(dir).string()] = value;
  }
  return state;
}

enum class Expect { accepted, refused };

class RunFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("simscore_run_files_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "work");
    // Open to all: the unwritable-directory case runs as nobody (root may write anywhere).
    fs::permissions(dir_, fs::perms::all);
    work_ = dir_ / "work";
    std::ofstream(work_ / "in.tsv") << "first text\tsecond text\t1\n";
    fs::create_directories(work_ / "model");  // an unusable model: a model error once loaded
    std::ofstream(work_ / "model/config.json") << "{}";
  }
  void TearDown() override {
    std::error_code ignored;
    fs::permissions(work_ / "ro", fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(dir_, ignored);
  }

  // The command line for output `d` onto `target` (and `extra` words after it).
  std::string command_line(const Declared& d, const std::string& input, const std::string& target,
                           const std::string& extra = "", const std::string& model = "") const {
    std::string line = testing::simscore_binary().string() + " " + d.command;
    if (d.command == "convert")
      line += " --model " + (work_ / "model").string();
    else
      line += " " + input + " --model " + (model.empty() ? (work_ / "no-model").string() : model);
    line += " " + (d.flag.empty() ? "" : d.flag + " ") + "'" + target + "' " + extra;
    return line;
  }

  // Runs `line` (stdout to a file, stderr kept), as nobody when asked (through setpriv).
  int run(const std::string& line, const std::string& stdin_from = "", bool as_nobody = false) {
    fs::remove(dir_ / "stdout");
    fs::remove(dir_ / "stderr");
    std::string command = line + " < " + (stdin_from.empty() ? std::string("/dev/null") : stdin_from) + " > " +
                          (dir_ / "stdout").string() + " 2> " + (dir_ / "stderr").string();
    if (as_nobody) command = "setpriv --reuid=65534 --regid=65534 --clear-groups sh -c \"" + command + "\"";
    // A guard that opened a FIFO would wait for a reader for ever: timeout ends it (exit 124).
    const int status = std::system(("timeout 60 " + command).c_str());
    err_ = slurp(dir_ / "stderr");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // Runs the command and checks the outcome; refused: exit 2 or 5 and nothing under work/ changed.
  void expect(const Declared& d, const std::string& kind, Expect expected, const std::string& line,
              const std::string& stdin_from = "", bool as_nobody = false) {
    const auto before = snapshot(work_);
    const int code = run(line, stdin_from, as_nobody);
    const std::string what = d.command + " " + (d.flag.empty() ? "OUT_DIR" : d.flag) + " onto " + kind;
    if (expected == Expect::accepted) {
      EXPECT_EQ(code, kModel) << what << ": the guard should let it through\n" << line << "\n" << err_;
    } else {
      EXPECT_TRUE(code == kUsage || code == kResource) << what << ": exit " << code << "\n" << line << "\n" << err_;
      EXPECT_EQ(err_.find("model error"), std::string::npos) << what << ": refused only after the model\n" << err_;
    }
    EXPECT_EQ(snapshot(work_), before) << what << ": something under the directory changed";
  }

  fs::path dir_, work_;
  std::string err_;
};

TEST_F(RunFiles, TheCommandLineDeclaresItsOutputs) {
  std::vector<std::string> names;
  for (const Declared& d : declared_outputs()) names.push_back(d.command + " " + d.flag);
  for (const char* expected : {"score --output", "score --report", "score --html", "eval --output", "eval --report",
                               "eval --curve", "eval --html", "tokenize --output", "convert "})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
}

TEST_F(RunFiles, EveryOutputAgainstEveryTarget) {
  const std::string in = (work_ / "in.tsv").string();
  fs::create_symlink(work_ / "in.tsv", work_ / "in-link.tsv");
  fs::create_symlink(work_ / "model", work_ / "model-link");
  ::mknod((work_ / "null").c_str(), S_IFCHR | 0666, makedev(1, 3));
  ::mkfifo((work_ / "fifo").c_str(), 0666);
  fs::create_symlink(work_ / "fresh.txt", work_ / "link-to-fresh");
  fs::create_directories(work_ / "a-directory");
  fs::create_directories(work_ / "ro");
  fs::permissions(work_ / "ro", fs::perms::owner_read | fs::perms::owner_exec | fs::perms::others_read |
                                     fs::perms::others_exec | fs::perms::group_read | fs::perms::group_exec);
  const bool root = ::geteuid() == 0;
  const bool have_setpriv = std::system("command -v setpriv > /dev/null 2>&1") == 0;
  const std::vector<Declared> outputs = declared_outputs();
  ASSERT_FALSE(outputs.empty());

  for (const Declared& d : outputs) {
    const bool file = !d.new_directory;
    const Expect through = file ? Expect::accepted : Expect::refused;  // a new directory must not exist
    SCOPED_TRACE(d.command + " " + d.flag);
    // The input, by path and by link (convert's input is its model directory).
    expect(d, "the input", Expect::refused, command_line(d, in, file ? in : (work_ / "model").string()));
    expect(d, "a link to the input", Expect::refused,
           command_line(d, in, (work_ / (file ? "in-link.tsv" : "model-link")).string()));
    if (file) expect(d, "stdin's file", Expect::refused, command_line(d, "-", in), in);
    expect(d, "a file of the model directory", Expect::refused,
           command_line(d, in, (work_ / "model/config.json").string(), "", (work_ / "model").string()));
    // Another output of the same command, by name and by hard link.
    for (const Declared& other : outputs) {
      if (other.command != d.command || other.flag == d.flag || other.flag.empty()) continue;
      const std::string shared = (work_ / "shared.out").string();
      expect(d, "the file of " + other.flag, Expect::refused,
             command_line(d, in, shared, other.flag + " '" + shared + "'"));
      std::ofstream(work_ / "existing.out") << "kept\n";
      fs::create_hard_link(work_ / "existing.out", work_ / "hard-link.out");
      expect(d, "a hard link to the file of " + other.flag, Expect::refused,
             command_line(d, in, (work_ / "existing.out").string(),
                          other.flag + " '" + (work_ / "hard-link.out").string() + "'"));
      fs::remove(work_ / "existing.out");
      fs::remove(work_ / "hard-link.out");
    }
    // stdout, by name and by descriptor (it is a regular file here, as `> file` makes it).
    if (file) {
      const Expect on_stdout = d.stdout_by_default ? Expect::accepted : Expect::refused;
      expect(d, "stdout", on_stdout, command_line(d, in, "-"));
      expect(d, "/dev/fd/1", on_stdout, command_line(d, in, "/dev/fd/1"));
      expect(d, "/proc/self/fd/1", on_stdout, command_line(d, in, "/proc/self/fd/1"));
    }
    expect(d, "a device", through, command_line(d, in, (work_ / "null").string()));
    expect(d, "a FIFO", through, command_line(d, in, (work_ / "fifo").string()));
    expect(d, "a link to a new name", through, command_line(d, in, (work_ / "link-to-fresh").string()));
    expect(d, "a directory", Expect::refused, command_line(d, in, (work_ / "a-directory").string()));
    expect(d, "a missing directory", Expect::refused, command_line(d, in, (work_ / "missing/out").string()));
    expect(d, "a file as directory", Expect::refused, command_line(d, in, (work_ / "in.tsv/out").string()));
    if (!root || have_setpriv)
      expect(d, "an unwritable directory", Expect::refused, command_line(d, in, (work_ / "ro/out").string()), "",
             root);
  }
}

// The run identity: each setting that changes a score changes the fingerprint, on the line naming it.
TEST(RunIdentity, EverySettingThatChangesAScoreIsInTheFingerprint) {
  SIMSCORE_REQUIRE_FIXTURE("models/tiny-zh-cross");
  using Change = std::function<void(cli::ModelOptions&, cli::RunOptions&)>;
  const auto lines = [](const Change& change) {
    cli::ModelOptions model;
    model.model = (testing::fixtures_dir() / "models/tiny-zh-cross").string();
    model.precision = "fp32";
    cli::RunOptions run;
    run.quiet = true;
    change(model, run);
    const cli::ScoringSession session(model, run);
    std::set<std::string> result;
    std::istringstream text(cli::resume_fingerprint(cli::InputOptions{}, cli::OutputOptions{}, session));
    for (std::string line; std::getline(text, line);) result.insert(line);
    return result;
  };
  const std::set<std::string> base = lines([](cli::ModelOptions&, cli::RunOptions&) {});
  const std::vector<std::pair<std::string, Change>> changes = {
      {"--mode: bi", [](auto& m, auto&) { m.mode = "bi"; }},
      {"--max-length: 16", [](auto& m, auto&) { m.max_length = 16; }},
      {"--precision: fp16", [](auto& m, auto&) { m.precision = "fp16"; }},
      {"prompt a (--prompt-a, --prompt): \"q: \"", [](auto&, auto& r) { r.prompts.a = "q: "; }},
      {"prompt b (--prompt-b, --prompt): \"p: \"", [](auto&, auto& r) { r.prompts.b = "p: "; }},
      {"prompt a (--prompt-a, --prompt): \"x \"", [](auto&, auto& r) { r.prompts.both = "x "; }},
  };
  for (const auto& [line, change] : changes) {
    const std::set<std::string> changed = lines(change);
    EXPECT_TRUE(changed.count(line) && !base.count(line)) << line;
  }
}

}  // namespace
}  // namespace simscore
