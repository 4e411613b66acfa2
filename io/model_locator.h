#pragma once
// Finds a model where users keep it: a plain directory, a HuggingFace hub-cache repo folder or
// snapshot, or an id ("ORG/NAME[@REVISION]") looked up offline in the HuggingFace hub cache and
// ModelScope's cache. Nothing is ever downloaded.

#include <filesystem>
#include <string>
#include <vector>

#include "core/errors.h"

namespace simscore::io {

// The caches an id is looked up in, in order.
struct ModelCaches {
  std::vector<std::filesystem::path> huggingface;  // hub folders holding models--ORG--NAME
  std::vector<std::filesystem::path> modelscope;   // hub folders holding ORG/NAME or models/ORG/NAME
};

// $HF_HUB_CACHE, $HUGGINGFACE_HUB_CACHE, $HF_HOME/hub, $XDG_CACHE_HOME/huggingface/hub and
// ~/.cache/huggingface/hub; $MODELSCOPE_CACHE (and its hub/) and ~/.cache/modelscope/hub. Only the
// variables that are set, without repeats.
ModelCaches model_caches_from_environment();

struct LocatedModel {
  std::filesystem::path dir;  // the directory holding config.json
  std::string id;             // "ORG/NAME" when known (an id, or a hub-cache path); else empty
};

// `spec` is a directory when one exists at that path: a hub-cache repo folder (models--ORG--NAME)
// stands for its refs/main snapshot, and any other directory is returned as it is. Otherwise `spec`
// is an id: models--ORG--NAME/refs/REVISION (default main; a commit hash names snapshots/HASH
// directly) in each HuggingFace cache, then ORG/NAME and models/ORG/NAME in each ModelScope cache
// (which keep one version, so they are skipped for an explicit @REVISION). Throws ModelError listing
// every place it looked.
LocatedModel locate_model(const std::string& spec, const ModelCaches& caches);

// What a filesystem error met while finding or reading a model (a symlink loop, a folder that cannot
// be read) becomes: a ModelError naming `model` and the path (exit 4), not a raw `filesystem error`.
ModelError unreadable_model(const std::string& model, const std::filesystem::filesystem_error& error);

}  // namespace simscore::io
