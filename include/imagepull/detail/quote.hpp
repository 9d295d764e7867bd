/// @file detail/quote.hpp
/// @brief Quoting untrusted text (user input, daemon answers) for error messages (internal).
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace imagepull::detail {

/// @brief s in double quotes, safe to print: quotes, backslashes and non-printable bytes are
/// escaped, and a long s is cut, so an error message can never carry terminal control sequences.
inline std::string quote(std::string_view s, std::size_t max_quoted = 120) {
  std::string out;
  out.reserve(std::min(s.size(), max_quoted) + 24);
  out += '"';
  for (const char ch : s.substr(0, max_quoted)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
    }
  }
  out += '"';
  if (s.size() > max_quoted) fmt::format_to(std::back_inserter(out), "... ({} bytes)", s.size());
  return out;
}

}  // namespace imagepull::detail
