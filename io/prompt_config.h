#pragma once
// The default prompt of a sentence-transformers model directory: config_sentence_transformers.json's
// `prompts` (name -> text) and `default_prompt_name`, read as sentence-transformers reads them.

#include <filesystem>
#include <optional>
#include <string>

namespace simscore::io {

struct DefaultPrompt {
  std::string name;  // the default_prompt_name
  std::string text;  // prepended to every text, as sentence-transformers does
};

// nullopt when the directory has no config_sentence_transformers.json, or the file names no
// default prompt. ModelError (file and key) when default_prompt_name is not among `prompts` or
// either is of the wrong type, as sentence-transformers refuses to load such a model.
std::optional<DefaultPrompt> read_default_prompt(const std::filesystem::path& model_dir);

}  // namespace simscore::io
