#include "heap.h"

#include <cstdlib> // defines __GLIBC__ where glibc is the C library

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace jarvis::console {

bool keepHeapForSnapshots()
{
#if defined(__GLIBC__)
    constexpr int TrimThreshold = 64 * 1024 * 1024;
    constexpr int MmapThreshold = 32 * 1024 * 1024; // glibc's largest (HEAP_MAX_SIZE / 2)
    // Both set explicitly: that also turns off glibc's dynamic adjustment of the two.
    return mallopt(M_TRIM_THRESHOLD, TrimThreshold) == 1
        && mallopt(M_MMAP_THRESHOLD, MmapThreshold) == 1;
#else
    return false;
#endif
}

} // namespace jarvis::console
