#include "cli/manual.h"

#include <cstdio>
#include <fstream>
#include <string_view>

#include "cli/exit_codes.h"
#include "cli/manual_text.h"

namespace simscore::cli {
namespace {

// Roff source for text: a backslash is \e, a hyphen \- (so it renders, copies and searches as an
// ASCII hyphen-minus), and a line starting with . or ' would be a request.
std::string roff(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
  }
  if (!out.empty() && (out.front() == '.' || out.front() == '\'')) out.insert(0, "\\&");
  return out;
}

std::vector<const CLI::App*> commands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

const CommandText* text_of(const std::string& name) {
  for (const CommandText& t : command_texts())
    if (t.name == name) return &t;
  return nullptr;
}

// The options `--help` prints, in its order: hidden ones (no group) are left out, as CLI11 does.
std::vector<const CLI::Option*> visible_options(const CLI::App& command) {
  return command.get_options([](const CLI::Option* o) { return !o->get_group().empty(); });
}

std::string option_names(const CLI::Option& o) {
  std::string names;
  for (const std::string& l : o.get_lnames()) names += (names.empty() ? "--" : ", --") + l;
  for (const std::string& s : o.get_snames()) names += (names.empty() ? "-" : ", -") + s;
  return names;
}

// What --help prints after the names: the value's type with its validators (TEXT:{tsv,csv,jsonl}).
std::string option_value(const CLI::Option& o) {
  if (o.get_type_size() == 0) return "";
  std::string value = o.get_type_name();
  if (o.get_required()) value += " REQUIRED";
  return value;
}

// The choices of an option checked by CLI::IsMember: the {a,b,c} its type name ends with.
std::vector<std::string> choices(const CLI::Option& o) {
  const std::string type = o.get_type_name();
  const size_t open = type.find('{'), close = type.rfind('}');
  std::vector<std::string> out;
  if (open == std::string::npos || close == std::string::npos || close < open) return out;
  std::string item;
  for (char c : type.substr(open + 1, close - open - 1)) {
    if (c == ',') {
      out.push_back(item);
      item.clear();
    } else if (c != ' ') {
      item += c;
    }
  }
  if (!item.empty()) out.push_back(item);
  return out;
}

std::string synopsis_of(const CLI::App& command) {
  std::string positionals;
  for (const CLI::Option* o : visible_options(command))
    if (!o->nonpositional()) {
      const std::string name = o->get_name(true, false);
      positionals += o->get_required() ? " " + name : " [" + name + "]";
    }
  return "simscore " + command.get_name() + " [options]" + positionals;
}

void write_option(std::string& out, const CLI::Option& o) {
  out += ".TP\n";
  if (o.nonpositional()) {
    out += "\\fB" + roff(option_names(o)) + "\\fR";
    if (const std::string value = option_value(o); !value.empty()) out += " \\fI" + roff(value) + "\\fR";
  } else {
    out += "\\fI" + roff(o.get_name(true, false)) + "\\fR";
  }
  out += "\n" + roff(o.get_description()) + "\n";
}

}  // namespace

void add_examples_to_help(CLI::App& app) {
  for (CLI::App* command : app.get_subcommands([](CLI::App*) { return true; }))
    if (const CommandText* text = text_of(command->get_name())) command->footer(examples_footer(*text));
}

std::string man_page(const CLI::App& app) {
  std::string out;
  out += ".\\\" Generated at build time by `simscore --write-manual man` from the command-line definitions.\n";
  out += ".TH SIMSCORE 1 \"\" \"" + roff(kVersionText) + "\" \"User Commands\"\n";
  out += ".nh\n.ad l\n";  // no hyphenation, ragged right: option names stay whole, as typed
  out += ".SH NAME\nsimscore \\- score sentence pairs for semantic similarity with BERT\\-family encoders\n";
  out += ".SH SYNOPSIS\n";
  for (const CLI::App* command : commands(app)) out += ".B " + roff(synopsis_of(*command)) + "\n.br\n";
  out += ".B simscore \\-\\-help\n.br\n.B simscore \\-\\-version\n";
  out += ".SH DESCRIPTION\n" + roff(kProgramDescription) + "\n.PP\n" +
         roff("Every command takes --help. The full guide is in /usr/share/doc/simscore (README.md and "
              "docs/).") +
         "\n";
  out += ".SH COMMANDS\n";
  for (const CLI::App* command : commands(app)) {
    out += ".SS \"" + roff(synopsis_of(*command)) + "\"\n" + roff(command->get_description()) + "\n";
    if (const CommandText* text = text_of(command->get_name())) out += ".PP\n" + roff(text->description) + "\n";
    for (const CLI::Option* o : visible_options(*command)) write_option(out, *o);
  }
  out += ".SH EXAMPLES\n";
  for (const CLI::App* command : commands(app))
    if (const CommandText* text = text_of(command->get_name()))
      for (const Example& e : text->examples)
        out += ".TP\n.B " + roff(e.command) + "\n" + roff(e.what) + "\n";
  out += ".SH EXIT STATUS\n";
  for (const ExitStatus& s : exit_statuses()) out += ".TP\n.B " + std::to_string(s.code) + "\n" + roff(s.meaning) + "\n";
  out += ".SH ENVIRONMENT\n";
  for (const EnvironmentVariable& v : environment_variables())
    out += ".TP\n.B " + roff(v.name) + "\n" + roff(v.meaning) + "\n";
  out += ".SH FILES\n.TP\n.I /usr/share/simscore/models/all\\-MiniLM\\-L6\\-v2\n" +
         roff("the default model, found relative to the installed program (<prefix>/share/simscore/models)") + "\n";
  out += ".SH SEE ALSO\n" + roff("/usr/share/doc/simscore/README.md, /usr/share/doc/simscore/docs/usage.md") + "\n";
  return out;
}

std::string bash_completion(const CLI::App& app) {
  std::string names, alternatives;
  for (const CLI::App* command : commands(app)) {
    names += (names.empty() ? "" : " ") + command->get_name();
    alternatives += (alternatives.empty() ? "" : "|") + command->get_name();
  }
  std::string out =
      "# bash completion for simscore. Generated at build time by `simscore --write-manual bash` from\n"
      "# the command-line definitions --help prints.\n"
      "_simscore() {\n"
      "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} command= i\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    case ${COMP_WORDS[i]} in " + alternatives + ") command=${COMP_WORDS[i]}; break ;; esac\n"
         "  done\n"
         "  if [[ -z $command ]]; then\n"
         "    COMPREPLY=($(compgen -W '" + names + " --help --version' -- \"$cur\"))\n"
         "    return\n"
         "  fi\n"
         "  local options= valued=\n"
         "  case $command in\n";
  for (const CLI::App* command : commands(app)) {
    std::string options = "--help", valued;
    for (const CLI::Option* o : visible_options(*command)) {
      if (!o->nonpositional()) continue;
      for (const std::string& l : o->get_lnames()) {
        options += " --" + l;
        if (o->get_type_size() != 0) valued += " --" + l;
      }
      for (const std::string& s : o->get_snames()) {
        options += " -" + s;
        if (o->get_type_size() != 0) valued += " -" + s;
      }
    }
    out += "    " + command->get_name() + ") options='" + options + "'; valued='" + valued + "' ;;\n";
  }
  out += "  esac\n  case $command:$prev in\n";
  for (const CLI::App* command : commands(app))
    for (const CLI::Option* o : visible_options(*command)) {
      const std::vector<std::string> values = choices(*o);
      if (values.empty() || !o->nonpositional()) continue;
      std::string words, patterns;
      for (const std::string& v : values) words += (words.empty() ? "" : " ") + v;
      for (const std::string& l : o->get_lnames()) patterns += (patterns.empty() ? "" : "|") + command->get_name() + ":--" + l;
      for (const std::string& s : o->get_snames()) patterns += (patterns.empty() ? "" : "|") + command->get_name() + ":-" + s;
      out += "    " + patterns + ") COMPREPLY=($(compgen -W '" + words + "' -- \"$cur\")); return ;;\n";
    }
  out += "  esac\n"
         "  if [[ \" $valued \" == *\" $prev \"* ]]; then\n"
         "    compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")); return\n"
         "  fi\n"
         "  if [[ $cur == -* ]]; then\n"
         "    COMPREPLY=($(compgen -W \"$options\" -- \"$cur\"))\n"
         "  else\n"
         "    compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\"))\n"
         "  fi\n"
         "}\n"
         "complete -F _simscore simscore\n";
  return out;
}

int write_manual_if_asked(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) != "--write-manual") return -1;
  const std::string_view kind = argc == 4 ? argv[2] : "";
  if (kind != "man" && kind != "bash") {
    std::fprintf(stderr, "simscore: usage: simscore --write-manual man|bash FILE\n");
    return kUsageError;
  }
  std::ofstream file(argv[3], std::ios::binary | std::ios::trunc);
  file << (kind == "man" ? man_page(app) : bash_completion(app));
  file.close();
  if (!file) {
    std::fprintf(stderr, "simscore: cannot write %s\n", argv[3]);
    return kResourceError;
  }
  return kSuccess;
}

}  // namespace simscore::cli
