#pragma once
// --prompt-a, --prompt-b and --prompt: text put before every first / second text before it is
// tokenized, as sentence-transformers' `prompt` argument does; without them, the model directory's
// default prompt (config_sentence_transformers.json), as sentence-transformers applies it.

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>

namespace simscore::cli {

struct PromptOptions {
  std::optional<std::string> a, b, both;
};

void add_prompt_options(CLI::App& command, PromptOptions& options);

struct Prompts {
  std::string a, b;    // "" for none
  std::string source;  // where they come from, for -v and the report
};

// The flags win over the directory's default; an empty --prompt "" turns the default off, as an
// empty `prompt=""` does in sentence-transformers. A cross-encoder reads the pair as one input, and
// sentence-transformers' CrossEncoder puts a prompt before its first text only: so do --prompt and
// the default here (--prompt-b still reaches the second).
Prompts resolve_prompts(const PromptOptions& options, const std::filesystem::path& model_dir, bool cross);

}  // namespace simscore::cli
