// Opens arbitrary bytes as a PyTorch checkpoint (io/torch_checkpoint: zip + pickle subset) and reads
// every tensor. Input: the whole pytorch_model.bin. The reader's own fuzz entry point does the
// work, so the checks stay beside the code they check.

#include <cstddef>
#include <cstdint>

#include "io/torch_checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  simscore::io::fuzz_torch_checkpoint(data, size);
  return 0;
}
