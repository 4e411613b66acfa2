#pragma once
// Reads PyTorch checkpoints as torch.save (torch >= 1.6) writes them — a zip archive holding a
// pickled state dict and one entry per storage — without Python and without executing the pickle:
// only the opcodes and globals a state dict of tensors uses are understood, everything else is a
// ModelError. torch stores the entries uncompressed, so tensors are read (or mapped) in place.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "io/tensor_source.h"

namespace simscore::io {

// Opens `path` (usually pytorch_model.bin). Throws ModelError naming the file and the problem: not
// a zip (the legacy format of torch < 1.6 gets a hint on how to re-save it), a truncated archive,
// a pickle opcode or global outside the state-dict subset, a storage or view out of range, a
// non-contiguous view, compressed entries or a big-endian checkpoint.
std::shared_ptr<const TensorSource> open_torch_checkpoint(const std::filesystem::path& path);

// Entry point for libFuzzer (LLVMFuzzerTestOneInput can forward here): opens `data` as a checkpoint
// and reads every tensor. ModelError is the expected outcome for malformed input and is swallowed;
// anything else (a crash, another exception) is a bug.
void fuzz_torch_checkpoint(const uint8_t* data, size_t size);

}  // namespace simscore::io
