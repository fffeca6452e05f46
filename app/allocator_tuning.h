// Heap settings for processes that run the engine (faultline-engine, and the GUI with its
// in-process sandbox). Request frames are buffers of up to a few MiB: glibc would give each one
// its own mmap and unmap it when freed, and every request would then pay page faults and zeroing
// for fresh pages, which cost more than the request's own copy. Keep them on the heap instead.
#pragma once

#include <malloc.h>

namespace faultline::app {

inline void tuneAllocatorForEngine() {
    mallopt(M_MMAP_THRESHOLD, 32 << 20); // glibc's maximum: a larger value is refused
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

} // namespace faultline::app
