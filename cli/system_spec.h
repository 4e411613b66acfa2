#pragma once
// `eval --system SPEC`: one more model configuration to evaluate on the same rows. SPEC is
// KEY=VALUE[,KEY=VALUE...]: any model option without its dashes (model, precision,
// int8-ffn-output, mode, max-length, max-batch-tokens, threads), each overriding the first
// system's, plus name=TEXT (how tables and reports call it) and threshold=NUMBER. The model keys
// go through the very flags `eval` registers (add_model_options), so a value is checked, and means,
// exactly what the flag would.

#include <optional>
#include <string>

#include "cli/model_options.h"

namespace simscore::cli {

struct SystemSpec {
  ModelOptions model;
  std::string name;                 // empty: "<model name> <precision>"
  std::optional<double> threshold;  // empty: the run's threshold
};

// CLI::ValidationError naming --system and the problem (exit 2) for a malformed SPEC.
SystemSpec parse_system_spec(const std::string& spec, const ModelOptions& first);

}  // namespace simscore::cli
