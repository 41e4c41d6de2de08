#pragma once

// Whether this build runs under AddressSanitizer (make test-sanitize). ASan keeps freed memory in
// its quarantine (256 MiB by default) before reusing it, and adds redzones and shadow memory, so
// in that build the process's RSS says nothing about what the code under test holds on to. Tests
// that bound RSS check that bound only when this is false, and everything else in both builds.
namespace jarvis::test {

#if defined(__SANITIZE_ADDRESS__) // GCC
inline constexpr bool AddressSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) // clang
inline constexpr bool AddressSanitized = true;
#else
inline constexpr bool AddressSanitized = false;
#endif
#else
inline constexpr bool AddressSanitized = false;
#endif

} // namespace jarvis::test
