#pragma once

#include <cstddef>

namespace simscore {

// This thread's oneDNN scratchpad, at least `bytes` long (it only grows): shared by every oneDNN
// product (fp32/bf16 and int8), where left to the library each primitive, one per block and row
// count, would keep its own.
void* onednn_scratchpad(size_t bytes);

}  // namespace simscore
