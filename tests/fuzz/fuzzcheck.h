#pragma once

// FUZZ_CHECK: an invariant of a fuzz target. A failure prints the condition and aborts, which
// libFuzzer (and the smoke runner, through the abort) reports as a crash with the input saved.
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);         \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)
