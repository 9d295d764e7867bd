/// @file config.hpp
/// @brief Version macros and the library's knobs, each with a default and validated here.
#pragma once

#define IMAGEPULL_VERSION_MAJOR 0
#define IMAGEPULL_VERSION_MINOR 1
#define IMAGEPULL_VERSION_PATCH 0
#define IMAGEPULL_VERSION_STRING "0.1.0"

#if __cplusplus < 202002L && !defined(_MSVC_LANG)
#  error "imagepull needs C++20"
#endif

// IMAGEPULL_USE_STD_EXPECTED: 1 = std::expected (C++23), 0 = tl::expected (default).
#ifndef IMAGEPULL_USE_STD_EXPECTED
#  define IMAGEPULL_USE_STD_EXPECTED 0
#endif
#if IMAGEPULL_USE_STD_EXPECTED != 0 && IMAGEPULL_USE_STD_EXPECTED != 1
#  error "IMAGEPULL_USE_STD_EXPECTED must be 0 or 1"
#endif

// IMAGEPULL_MAX_MESSAGE_LINE: default limit, in bytes, of one line of a pull stream.
#ifndef IMAGEPULL_MAX_MESSAGE_LINE
#  define IMAGEPULL_MAX_MESSAGE_LINE (1024 * 1024)
#endif
static_assert(IMAGEPULL_MAX_MESSAGE_LINE >= 1024,
              "IMAGEPULL_MAX_MESSAGE_LINE must allow at least 1 KiB: daemons send lines of a few hundred bytes");

#if IMAGEPULL_USE_STD_EXPECTED
#  include <expected>
#  if !defined(__cpp_lib_expected)
#    error "IMAGEPULL_USE_STD_EXPECTED=1 needs a standard library with std::expected (C++23)"
#  endif
namespace imagepull {
// using-declarations, not alias templates: unexpected(e) must deduce on every compiler.
using std::expected;
using std::unexpected;
}  // namespace imagepull
#else
#  include <tl/expected.hpp>
namespace imagepull {
using tl::expected;
using tl::unexpected;
}  // namespace imagepull
#endif
