#include "cli/manual_text.h"

#include "cli/exit_codes.h"

namespace simscore::cli {

const char* const kProgramDescription =
    "simscore scores sentence pairs for semantic similarity with BERT-family encoders (BERT, MiniLM, "
    "bge/text2vec-style bi-encoders, BERT cross-encoders) on an ordinary CPU, with the numbers "
    "HuggingFace transformers and sentence-transformers give. It reads TSV, CSV or JSON lines (a file, "
    ".gz, or stdin), tokenizes as HuggingFace does, and writes exactly one score per input row, in "
    "input order, in memory that does not grow with the input. Nothing is ever downloaded.";

const std::vector<CommandText>& command_texts() {
  static const std::vector<CommandText> texts = {
      {"score",
       "Scores every row of the pair file and writes one line per row, in input order: the score "
       "(the shortest text that reads back as the same 32-bit float), after the row's id with --id, "
       "or after the input's columns with --with-input. A bi-encoder's score is the cosine of the "
       "pooled embeddings; a cross-encoder's the probability of the similar label.",
       {{"simscore score pairs.tsv > scores.txt", "one score per row of pairs.tsv, in order"},
        {"simscore score pairs.csv --header --id id -o scores.tsv --report run.json",
         "a CSV with a header, each score after its row's id, and the JSON run report"},
        {"zcat big.tsv.gz | simscore score - --shard 0/4 --threads 1 -q",
         "the first of four shards of a compressed stream"}}},
      {"eval",
       "Scores a labelled pair file as score does and prints the metrics, one per line (name value), "
       "defined as scikit-learn and scipy define them; for a bi-encoder also under "
       "sentence-transformers' evaluator names. Labels at or above --positive-min are similar.",
       {{"simscore eval LCQMC.test.data --html lcqmc.html --curve lcqmc_curve.tsv",
         "metrics of a labelled TSV, an HTML report and the threshold curve"},
        {"simscore eval STS-B.test.data --positive-min 4", "graded 0-5 labels read as binary: 4 and up similar"},
        {"simscore eval dev.json -m sentence-transformers/all-MiniLM-L6-v2",
         "JSON lines, with a model from the HuggingFace cache"}}},
      {"tokenize",
       "Prints, for each row, the pair encoding's token ids, a tab, and its token type ids, exactly "
       "as the HuggingFace tokenizer gives them, so tokenization can be compared line by line.",
       {{"simscore tokenize pairs.tsv --max-length 32", "pair encodings truncated to 32 tokens"},
        {"simscore tokenize pairs.tsv --single -m models/multilingual-e5-small",
         "each text's own ids with a SentencePiece tokenizer"}}},
      {"convert",
       "Writes a new model directory whose model.safetensors holds fp16, bf16 or int8 matrices and "
       "copies every other file; OUT_DIR is written under a temporary name and must not exist.",
       {{"simscore convert -m models/all-MiniLM-L6-v2 minilm-fp16", "fp16 weights, mapped in place by later runs"},
        {"simscore convert -m models/all-MiniLM-L6-v2 --precision int8 minilm-int8",
         "int8 matrices quantized once, for this CPU's int8 kernels"}}},
      {"inspect",
       "Describes a model directory without reading its weights: architecture, scoring mode and "
       "pooling, sizes, dtypes, tokenizer, effective max length, and the memory a run needs at each "
       "precision.",
       {{"simscore inspect -m models/all-MiniLM-L6-v2", "what a run on this model would use"},
        {"simscore inspect --json --precision int8 --max-batch-tokens 4096",
         "the plan's memory as score --report names it"}}},
  };
  return texts;
}

const std::vector<ExitStatus>& exit_statuses() {
  static const std::vector<ExitStatus> statuses = {
      {kSuccess, "success (also when the reader of the output closed the pipe early)"},
      {kInternalError, "internal error (a bug: please report it)"},
      {kUsageError, "usage: bad command-line arguments"},
      {kInputError, "input: a file cannot be read or a row is malformed (the message names file and line)"},
      {kModelError, "model: missing or inconsistent model files, a model id in no cache, a weight its "
                    "precision cannot hold, or a score that is not finite"},
      {kResourceError, "resource: the output cannot be written (disk full, permissions, another run on the "
                       "same -o, a --resume of another run), or --max-memory cannot be met"},
      {kInterrupted, "interrupted by SIGINT or SIGTERM: complete windows were flushed (with -o, into "
                     "OUT.partial for --resume)"},
  };
  return statuses;
}

const std::vector<EnvironmentVariable>& environment_variables() {
  static const std::vector<EnvironmentVariable> variables = {
      {"SIMSCORE_MODEL", "the model when --model is not given (a directory or ORG/NAME[@REVISION])"},
      {"HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME, XDG_CACHE_HOME, MODELSCOPE_CACHE",
       "where model ids are looked up (offline)"},
      {"SIMSCORE_GEMM", "onednn (default), onednn-prepacked or openblas: the matrix-product backend"},
      {"SIMSCORE_CPU_ISA", "baseline or avx2: lower the instruction set of simscore's own kernels"},
      {"OMP_WAIT_POLICY, GOMP_SPINCOUNT", "respected when set; otherwise simscore runs with passive waiting"},
      {"OPENBLAS_CORETYPE", "respected when set; otherwise simscore corrects a misdetected kernel set"},
  };
  return variables;
}

std::string examples_footer(const CommandText& text) {
  std::string footer = "Examples:\n";
  for (const Example& e : text.examples) footer += "  " + e.command + "\n      " + e.what + "\n";
  return footer;
}

}  // namespace simscore::cli
