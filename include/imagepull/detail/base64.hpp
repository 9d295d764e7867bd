/// @file detail/base64.hpp
/// @brief Base64 as Go's encoding/base64 writes and reads it (internal).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace imagepull::detail {

inline constexpr std::string_view base64_standard = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
inline constexpr std::string_view base64_url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// @brief Always padded with '=', as Go's base64.StdEncoding and URLEncoding are.
inline std::string base64_encode(std::string_view data, std::string_view alphabet) {
  const auto byte = [&data](std::size_t i) -> std::uint32_t { return static_cast<unsigned char>(data[i]); };
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (const int shift : {18, 12, 6, 0}) out += alphabet[n >> shift & 63];
  }
  if (const auto rest = data.size() - i; rest > 0) {
    const std::uint32_t n = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out += alphabet[n >> 18 & 63];
    out += alphabet[n >> 12 & 63];
    out += rest == 2 ? alphabet[n >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

/// @brief Standard-alphabet base64; like Go's decoder it skips line breaks. Padding may be left off.
inline std::optional<std::string> base64_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t bits = 0;
  std::size_t count = 0;  // characters in the current group of four
  std::size_t padding = 0;
  for (const char c : text) {
    if (c == '\r' || c == '\n') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    const auto value = base64_standard.find(c);
    if (value == std::string_view::npos || padding > 0) return std::nullopt;
    bits = bits << 6 | static_cast<std::uint32_t>(value);
    if (++count == 4) {
      for (const int shift : {16, 8, 0}) out += static_cast<char>(bits >> shift & 0xff);
      bits = 0;
      count = 0;
    }
  }
  if (count == 1 || (padding > 0 && padding != 4 - count)) return std::nullopt;
  if (count == 2) out += static_cast<char>(bits >> 4 & 0xff);
  if (count == 3) {
    out += static_cast<char>(bits >> 10 & 0xff);
    out += static_cast<char>(bits >> 2 & 0xff);
  }
  return out;
}

}  // namespace imagepull::detail
