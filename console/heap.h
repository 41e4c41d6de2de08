#pragma once

namespace jarvis::console {

// The console applies a large `vms` snapshot every poll (1.5 MB of text for 5000 guests, twice
// that as a QString, plus the rows read from it): a few MB allocated and freed again every 15 s.
// glibc's defaults give blocks that size their own mmap, or trim the heap's top once they are
// freed, so every snapshot faults its memory in again from the kernel: measured, that doubled the
// time to apply one (jarvis-bench-models: first fill 6-8 ms, with this 3-4 ms).
// keepHeapForSnapshots() keeps up to 64 MiB of freed heap for the next snapshot and serves blocks
// below 32 MiB from the heap. Call it once at start, before the first snapshot (jarvis-console's
// main, the benchmark). Returns false where the C library does not take these settings (then
// nothing changed).
bool keepHeapForSnapshots();

} // namespace jarvis::console
