// simscore tokenize: token ids as HuggingFace would give them, to compare line by line.

#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "cli/console.h"
#include "cli/exit_codes.h"
#include "cli/input_options.h"
#include "cli/model_options.h"
#include "cli/run_files.h"
#include "cli/score_output.h"
#include "cli/number_check.h"
#include "core/errors.h"
#include "io/model_dir.h"
#include "io/output_file.h"
#include "io/tokenizer_files.h"

namespace simscore::cli {
namespace {

struct TokenizeOptions {
  InputOptions input;
  std::string model;
  std::string output = "-";
  size_t max_length = 0;
  bool single = false;
  RunFiles files;
};

void append_ids(std::string& text, const std::vector<int32_t>& ids) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) text += ' ';
    fmt::format_to(std::back_inserter(text), "{}", ids[i]);
  }
}

int run_tokenize(const TokenizeOptions& o) {
  o.files.check();
  const auto dir = resolve_model_dir(o.model);
  const io::LoadedTokenizer loaded = io::load_tokenizer(dir);
  const io::MaxLength max_length = io::effective_max_length(
      dir, loaded.model_max_length, o.max_length ? std::optional(o.max_length) : std::nullopt);
  const Tokenizer& tokenizer = *loaded.tokenizer;

  io::PairReader reader = open_pairs(o.input);
  io::OutputFile out(o.output);
  io::PairRow row;
  std::string text;
  size_t rows_read = 0;
  while (next_row_in_shard(reader, o.input.shard, rows_read, row)) {
    if (!row.error.empty()) {
      if (o.input.on_error != "skip") throw InputError(reader.display_name(), row.line, row.error);
      print_error("{}:{}: skipped: {}\n", reader.display_name(), row.line, row.error);
      out.write("\n");
      continue;
    }
    text.clear();
    if (row.id) {
      append_field(text, *row.id);
      text += '\t';
    }
    if (o.single) {
      append_ids(text, encode_single(tokenizer, row.text_a, max_length.tokens).ids);
      text += '\t';
      append_ids(text, encode_single(tokenizer, row.text_b, max_length.tokens).ids);
    } else {
      const Encoding pair = encode_pair(tokenizer, row.text_a, row.text_b, max_length.tokens);
      append_ids(text, pair.ids);
      text += '\t';
      append_ids(text, pair.type_ids);
    }
    text += '\n';
    out.write(text);
  }
  out.commit();
  return kSuccess;
}

}  // namespace

Run add_tokenize_command(CLI::App& app) {
  auto options = std::make_shared<TokenizeOptions>();
  CLI::App* command = app.add_subcommand(
      "tokenize",
      "Print each row's pair encoding: token ids, a tab, token type ids (as HuggingFace gives them); "
      "with --id the row's id and a tab first");
  add_input_options(*command, options->input);
  options->files.add_input("input", options->input.path);
  command->add_option("--model,-m", options->model, "Model directory (tokenizer files are enough) or cached ORG/NAME[@REVISION]")
      ->check(model_spec_given());
  options->files.add_model(options->model);
  options->files.add_output(*command, "--output,-o", options->output, "Write here instead of stdout", "the token ids");
  command->add_option("--max-length", options->max_length,
                      "Maximum tokens per encoding (default: from the model directory)")
      ->check(whole_number())
      ->check(CLI::Range(size_t{3}, size_t{1} << 20));
  command->add_flag("--single", options->single,
                    "Print each text's own encoding instead: ids of a, a tab, ids of b");
  return [command, options] { return command->parsed() ? run_tokenize(*options) : -1; };
}

}  // namespace simscore::cli
