#include "io/prompt_config.h"

#include "core/errors.h"
#include "io/json_file.h"

namespace simscore::io {

std::optional<DefaultPrompt> read_default_prompt(const std::filesystem::path& model_dir) {
  const std::filesystem::path file = model_dir / "config_sentence_transformers.json";
  if (!std::filesystem::exists(file)) return std::nullopt;
  const nlohmann::json config = read_json_file(file);
  const std::optional<std::string> name = json_optional<std::string>(config, "default_prompt_name", file);
  if (!name) return std::nullopt;
  const nlohmann::json prompts = config.is_object() ? config.value("prompts", nlohmann::json::object())
                                                    : nlohmann::json::object();
  if (!prompts.is_object())
    throw ModelError(file.string() + ": \"prompts\" is " + prompts.dump() + ", not an object of texts");
  // sentence-transformers reads a null prompt as "" and refuses a default name it cannot find.
  if (!prompts.contains(*name))
    throw ModelError(file.string() + ": default_prompt_name \"" + *name + "\" is not a key of \"prompts\"");
  return DefaultPrompt{*name, json_field<std::string>(prompts, name->c_str(), "", file)};
}

}  // namespace simscore::io
