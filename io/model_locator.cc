#include "io/model_locator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>

#include "core/errors.h"

namespace simscore::io {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kRepoPrefix = "models--";

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

void add_unique(std::vector<fs::path>& paths, const fs::path& path) {
  if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
}

// Absolute, normalised, without a trailing separator ("x/" -> "/cwd/x"), so filename() is the last
// component however the path was typed.
fs::path normal_absolute(const fs::path& path) {
  const fs::path absolute = fs::absolute(path).lexically_normal();
  return absolute.has_filename() ? absolute : absolute.parent_path();
}

bool is_repo_folder(const fs::path& dir) {
  return dir.filename().string().starts_with(kRepoPrefix) &&
         (fs::is_directory(dir / "snapshots") || fs::is_directory(dir / "refs"));
}

// models--ORG--NAME -> ORG/NAME, as huggingface_hub writes repo ids into folder names.
std::string repo_folder_id(const fs::path& dir) {
  std::string name = dir.filename().string().substr(kRepoPrefix.size());
  if (const size_t separator = name.find("--"); separator != std::string::npos)
    name.replace(separator, 2, "/");
  return name;
}

std::string snapshot_names(const fs::path& repo) {
  std::vector<std::string> names;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(repo / "snapshots", ignored))
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text.empty() ? "none" : text;
}

// One plain path component (a commit hash, a branch name): never "", "." or "..", no separator.
bool is_plain_component(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

// What refs/REVISION names, read bounded (a ref is a 40-character hash): empty with `why` set when
// the file is too long or does not hold one plain snapshot name, so that neither a huge file is
// echoed nor "../../x" leads out of the cache.
std::string read_ref(const fs::path& ref, const std::string& revision, std::string& why) {
  constexpr size_t kMaxRef = 256;
  std::ifstream in(ref, std::ios::binary);
  std::string text(kMaxRef + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  const size_t end = text.find_last_not_of(" \t\r\n");
  const std::string hash = text.substr(0, end == std::string::npos ? 0 : end + 1);
  if (text.size() > kMaxRef) {
    why = fmt::format("refs/{} is invalid: longer than {} bytes (a ref holds a commit hash)", revision, kMaxRef);
    return "";
  }
  if (!is_plain_component(hash) ||
      !std::all_of(hash.begin(), hash.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; })) {
    why = fmt::format("refs/{} is invalid: it does not hold a snapshot name (a commit hash)", revision);
    return "";
  }
  return hash;
}

// The snapshot of `revision` in a hub-cache repo folder, or empty with `why` saying what is missing.
fs::path repo_snapshot(const fs::path& repo, const std::string& revision, std::string& why) {
  const fs::path ref = repo / "refs" / revision;
  if (fs::is_regular_file(ref)) {
    const std::string hash = read_ref(ref, revision, why);
    if (hash.empty()) return {};
    const fs::path snapshot = repo / "snapshots" / hash;
    if (fs::is_directory(snapshot)) return snapshot;
    why = fmt::format("refs/{} names snapshot \"{}\", which is not in snapshots/ (has: {})", revision,
                      hash, snapshot_names(repo));
    return {};
  }
  // A commit hash names its snapshot directly; huggingface_hub writes no ref for it.
  if (is_plain_component(revision) && fs::is_directory(repo / "snapshots" / revision))
    return repo / "snapshots" / revision;
  why = fmt::format("no refs/{} and no snapshots/{}; give a snapshot directory (snapshots/: {})",
                    revision, revision, snapshot_names(repo));
  return {};
}

// ORG/NAME of a directory inside a hub cache (models--ORG--NAME/snapshots/HASH), else empty.
std::string snapshot_id(const fs::path& dir) {
  const fs::path parent = normal_absolute(dir).parent_path();
  if (parent.filename() != "snapshots") return "";
  const fs::path repo = parent.parent_path();
  return repo.filename().string().starts_with(kRepoPrefix) ? repo_folder_id(repo) : "";
}

// Every "/"-separated component of `text` is plain (so the text is relative and never climbs).
bool plain_components(std::string_view text) {
  for (size_t start = 0;;) {
    const size_t slash = text.find('/', start);
    if (!is_plain_component(text.substr(start, slash == std::string_view::npos ? slash : slash - start)))
      return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

// An id is NAME or ORG/NAME with an optional @REVISION (a branch may hold "/": refs/pr/1); anything
// else is taken as a path. Looked up inside a cache, an id must stay there: no absolute part, no
// empty, "." or ".." component, in the name or the revision.
bool parse_id(const std::string& spec, std::string& id, std::string& revision) {
  const size_t at = spec.find('@');
  id = spec.substr(0, at);
  revision = at == std::string::npos ? "" : spec.substr(at + 1);
  if (!plain_components(id) || std::count(id.begin(), id.end(), '/') > 1) return false;
  return at == std::string::npos || (plain_components(revision) && revision.find('@') == std::string::npos);
}

}  // namespace

ModelCaches model_caches_from_environment() {
  ModelCaches caches;
  const std::string home = environment("HOME");
  for (const char* variable : {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"})
    if (const std::string value = environment(variable); !value.empty()) add_unique(caches.huggingface, value);
  if (const std::string value = environment("HF_HOME"); !value.empty())
    add_unique(caches.huggingface, fs::path(value) / "hub");
  if (const std::string value = environment("XDG_CACHE_HOME"); !value.empty())
    add_unique(caches.huggingface, fs::path(value) / "huggingface/hub");
  if (!home.empty()) add_unique(caches.huggingface, fs::path(home) / ".cache/huggingface/hub");
  // ModelScope's variable names the cache root in recent releases (models under hub/) and the hub
  // folder itself in older ones; both are searched.
  if (const std::string value = environment("MODELSCOPE_CACHE"); !value.empty()) {
    add_unique(caches.modelscope, value);
    add_unique(caches.modelscope, fs::path(value) / "hub");
  }
  if (!home.empty()) add_unique(caches.modelscope, fs::path(home) / ".cache/modelscope/hub");
  return caches;
}

namespace {

LocatedModel locate(const std::string& spec, const ModelCaches& caches) {
  if (spec.empty()) throw ModelError("--model is empty: give a model directory or an id (ORG/NAME)");
  const fs::path path = spec;
  if (fs::is_directory(path)) {
    const fs::path absolute = normal_absolute(path);
    if (absolute.filename() == "snapshots" && is_repo_folder(absolute.parent_path()))
      throw ModelError(fmt::format("{}: a hub cache's snapshots folder; give one snapshot in it ({}) "
                                   "or the repo folder above it",
                                   spec, snapshot_names(absolute.parent_path())));
    if (!is_repo_folder(absolute)) return {path, snapshot_id(path)};
    std::string why;
    const fs::path snapshot = repo_snapshot(absolute, "main", why);
    if (snapshot.empty())
      throw ModelError(fmt::format("{}: a HuggingFace hub-cache repo folder with {}", spec, why));
    return {snapshot, repo_folder_id(absolute)};
  }

  if (fs::exists(path)) throw ModelError(fmt::format("{}: not a directory; a model is a directory", spec));
  std::string id, revision;
  if (!parse_id(spec, id, revision))
    throw ModelError(fmt::format("{}: no such model directory{}", spec,
                                 spec.find('/') == std::string::npos || spec.starts_with('/') ||
                                         spec.starts_with("./") || spec.starts_with("../")
                                     ? ""
                                     : " (and not a model id: an id is ORG/NAME[@REVISION] without "
                                       "empty, \".\" or \"..\" parts)"));
  std::vector<std::string> looked = {fmt::format("{} (no such directory)", spec)};
  std::string repo_name = std::string(kRepoPrefix) + id;
  if (const size_t slash = repo_name.find('/'); slash != std::string::npos) repo_name.replace(slash, 1, "--");
  for (const fs::path& hub : caches.huggingface) {
    const fs::path repo = hub / repo_name;
    if (!fs::is_directory(repo)) {
      looked.push_back(fmt::format("{} (not there)", repo.string()));
      continue;
    }
    std::string why;
    if (fs::path snapshot = repo_snapshot(repo, revision.empty() ? "main" : revision, why); !snapshot.empty())
      return {snapshot, id};
    looked.push_back(fmt::format("{} ({})", repo.string(), why));
  }
  // ModelScope writes dots in names as "___" since 1.18 (Qwen2.5 -> Qwen2___5).
  std::vector<std::string> names = {id};
  if (std::string escaped = id; escaped.find('.') != std::string::npos) {
    for (size_t dot; (dot = escaped.find('.')) != std::string::npos;) escaped.replace(dot, 1, "___");
    names.push_back(escaped);
  }
  for (const fs::path& hub : caches.modelscope) {
    for (const std::string& name : names) {
      for (const fs::path& dir : {hub / name, hub / "models" / name}) {
        if (!revision.empty()) {
          looked.push_back(fmt::format("{} (skipped: ModelScope's cache keeps no revisions)", dir.string()));
        } else if (fs::is_regular_file(dir / "config.json")) {
          return {dir, id};
        } else {
          looked.push_back(fmt::format("{} ({})", dir.string(),
                                       fs::is_directory(dir) ? "no config.json" : "not there"));
        }
      }
    }
  }
  std::string places;
  for (const auto& place : looked) places += "\n  " + place;
  throw ModelError(fmt::format(
      "model \"{}\" not found; nothing is downloaded. Looked in:{}\nGive a model directory (for a "
      "HuggingFace hub cache: models--ORG--NAME or its snapshots/HASH), or fetch the model first "
      "(e.g. `hf download {}`)",
      spec, places, id));
}

}  // namespace

LocatedModel locate_model(const std::string& spec, const ModelCaches& caches) {
  try {
    return locate(spec, caches);
  } catch (const fs::filesystem_error& error) {
    throw unreadable_model(spec, error);
  }
}

ModelError unreadable_model(const std::string& model, const fs::filesystem_error& error) {
  return ModelError(fmt::format("{}: cannot read {}: {}", model, error.path1().string(), error.code().message()));
}

}  // namespace simscore::io
