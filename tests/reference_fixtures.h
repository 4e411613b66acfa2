#pragma once
// Reading what tests/reference/*.py wrote: the expected outputs of a tiny model, the model itself,
// its pairs, and the cosine used to compare embeddings (in double, independent of our own kernels).

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/scoring/pair_scorer.h"
#include "io/model_dir.h"
#include "test_paths.h"

namespace simscore::testing {

inline nlohmann::json read_expected(const std::string& name) {
  std::ifstream in(fixtures_dir() / "expected" / (name + ".json"));
  return nlohmann::json::parse(in);
}

inline io::LoadedModel load_fixture_model(const std::string& name, DType precision) {
  io::ModelLoadOptions options;
  options.precision = precision;
  return io::load_model(fixtures_dir() / "models" / name, options);
}

// The expected file's "pairs", as views into it (it must outlive them).
inline std::vector<TextPair> pairs_of(const nlohmann::json& expected) {
  std::vector<TextPair> pairs;
  for (const auto& p : expected["pairs"])
    pairs.push_back({p[0].get_ref<const std::string&>(), p[1].get_ref<const std::string&>()});
  return pairs;
}

inline double cosine(const float* a, const std::vector<float>& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    dot += double{a[i]} * b[i];
    na += double{a[i]} * a[i];
    nb += double{b[i]} * b[i];
  }
  return dot / std::sqrt(na * nb);
}

// The default model: $SIMSCORE_DEFAULT_MODEL, else models/all-MiniLM-L6-v2 in the checkout.
inline std::filesystem::path minilm_dir() {
  return env_or("SIMSCORE_DEFAULT_MODEL", (source_dir() / "models/all-MiniLM-L6-v2").c_str());
}

}  // namespace simscore::testing
