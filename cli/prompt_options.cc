#include "cli/prompt_options.h"

#include <fmt/format.h>

#include "io/prompt_config.h"
#include "io/text_check.h"

namespace simscore::cli {

namespace {

// A prompt is tokenized with every text: invalid UTF-8 in it is refused as in a pair file.
CLI::Validator valid_text() {
  return CLI::Validator(
      [](std::string& value) {
        const io::TextProblem problem = io::find_text_problem(value);
        return problem.offset == std::string_view::npos ? std::string() : io::describe_problem(problem, "the text");
      },
      "");
}

}  // namespace

void add_prompt_options(CLI::App& command, PromptOptions& o) {
  CLI::Option* both = command.add_option(
      "--prompt", o.both,
      "Put TEXT before both texts (a cross-encoder: the first), e.g. \"query: \"; \"\" for none. "
      "Default: the model's default prompt in config_sentence_transformers.json, if any");
  command.add_option("--prompt-a", o.a, "Put TEXT before every first text (overrides --prompt)")
      ->type_name("TEXT")
      ->check(valid_text());
  command.add_option("--prompt-b", o.b, "Put TEXT before every second text (overrides --prompt)")
      ->type_name("TEXT")
      ->check(valid_text());
  both->type_name("TEXT")->check(valid_text());
}

Prompts resolve_prompts(const PromptOptions& o, const std::filesystem::path& model_dir, bool cross) {
  // sentence-transformers applies the default to every encode call that passes no prompt, so a
  // side the flags leave out keeps it.
  const std::optional<io::DefaultPrompt> fallback =
      o.both ? std::nullopt : io::read_default_prompt(model_dir);
  const std::string shared = o.both ? *o.both : fallback ? fallback->text : "";
  Prompts p;
  p.a = o.a.value_or(shared);
  p.b = o.b.value_or(cross ? "" : shared);
  const bool from_flags = o.a || o.b || o.both;
  const bool from_default = fallback && (!o.a || (!o.b && !cross));
  p.source = from_flags ? "command line" : "";
  if (from_default)
    p.source += fmt::format("{}config_sentence_transformers.json default_prompt_name \"{}\"",
                            from_flags ? "; the other text: " : "", fallback->name);
  if (p.source.empty()) p.source = "none";
  return p;
}

}  // namespace simscore::cli
