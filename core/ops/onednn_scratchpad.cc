#include "core/ops/onednn_scratchpad.h"

#include <cstdlib>
#include <memory>
#include <new>

namespace simscore {

void* onednn_scratchpad(size_t bytes) {
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  thread_local std::unique_ptr<void, Free> buffer;
  thread_local size_t capacity = 0;
  if (bytes > capacity) {
    buffer.reset();
    capacity = (bytes + 4095) / 4096 * 4096;
    buffer.reset(std::aligned_alloc(4096, capacity));
    if (!buffer) throw std::bad_alloc();
  }
  return buffer.get();
}

}  // namespace simscore
