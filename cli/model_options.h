#pragma once
// The flags every model-running command shares (--model, --precision, --mode, ...), and turning
// them into a loaded model.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "core/ops/gemm.h"
#include "core/ops/product.h"
#include "io/model_dir.h"
#include "io/model_locator.h"

namespace simscore::cli {

struct ModelOptions {
  std::string model;  // empty: $SIMSCORE_MODEL, else the default model
  // "auto" (the default) or a precision's name until parsed; then the resolved precision's name,
  // never "auto", and why it was chosen (core/ops/auto_precision.h).
  std::string precision = "auto";
  std::string precision_reason;
  std::string int8_ffn_output;  // --int8-ffn-output int8|fp32; empty: not given (int8)
  std::string mode;   // empty: as the model directory says
  size_t max_length = 0;  // 0: as the model directory says
  int threads = 0;        // 0: every CPU this process may use
  size_t max_batch_tokens = 2048;
  bool verbose = false;
  GemmBackend gemm = GemmBackend::onednn;  // from SIMSCORE_GEMM, read once the command line is parsed
};

// Registers the flags, and reads SIMSCORE_GEMM into options.gemm once `command` is parsed.
void add_model_options(CLI::App& command, ModelOptions& options);
// The check every --model flag carries: an empty value is a usage error, never "the default model".
CLI::Validator model_spec_given();

// Reads SIMSCORE_GEMM into `into` when `command` has been parsed: a bad value is a usage error
// there, like a bad flag (CLI::ValidationError from the parse, exit code 2). Then resolves
// `precision` ("auto" or a name) in place to the precision that runs, and its reason
// (core/ops/auto_precision.h), when given.
void read_gemm_backend_on_parse(CLI::App& command, GemmBackend& into, std::string* precision = nullptr,
                                std::string* precision_reason = nullptr);

// Every precision a run can ask for, in kRunPrecisions' order (core/ops/precision.h).
std::vector<std::string> precision_names();
// "auto", then precision_names(): what --precision accepts.
std::vector<std::string> precision_choices();

// The model to use: --model, else $SIMSCORE_MODEL (each a directory or a cached model id, see
// io::locate_model), else all-MiniLM-L6-v2 beside the executable (installed:
// <prefix>/share/simscore/models/, build tree: <source>/models/). ModelError listing the places
// tried when none exists.
io::LocatedModel locate_model_dir(const std::string& flag);
std::filesystem::path resolve_model_dir(const std::string& flag);

// --precision as the storage type of weight matrices (int8 quantizes from fp16 storage).
DType storage_precision(const ModelOptions& options);
// --precision int8: the products quantize their weights; otherwise none.
Quantization quantization(const ModelOptions& options);
// --int8-ffn-output as where an int8 run's FFN output product runs (int8 when not given);
// CLI::ValidationError (exit 2) when given without --precision int8, where it would mean nothing.
Int8FfnOutput int8_ffn_output(const ModelOptions& options);
// What runs the products of a run with these options: the one place --precision,
// --int8-ffn-output and SIMSCORE_GEMM become a ProductBackend (int8 products for --precision int8
// on oneDNN backends).
ProductBackend product_backend(const ModelOptions& options);

// Applies --threads, loads the model, and (with --verbose) describes it on stderr.
io::LoadedModel load_model(const ModelOptions& options);

}  // namespace simscore::cli
