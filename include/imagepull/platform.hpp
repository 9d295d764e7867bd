/// @file platform.hpp
/// @brief Platforms ("os/arch[/variant]") and whether an image is for the one asked for.
#pragma once

#include "imagepull/puller.hpp"

#include <cctype>
#include <string>
#include <string_view>

namespace imagepull {

/// @brief A platform as the Docker API names it, normalized as containerd does
/// (x86_64 → amd64, aarch64 → arm64, armhf → arm/v7, "8" → "v8", lower case).
struct platform {
  std::string os{};
  std::string architecture{};
  std::string variant{};
  friend bool operator==(const platform&, const platform&) = default;
};

namespace detail {

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

inline platform normalized(std::string os, std::string arch, std::string variant) {
  os = lower(os);
  arch = lower(arch);
  variant = lower(variant);
  if (arch == "x86_64" || arch == "x86-64") arch = "amd64";
  else if (arch == "i386") arch = "386";
  else if (arch == "aarch64") arch = "arm64";
  else if (arch == "armhf") arch = "arm", variant = variant.empty() ? "v7" : variant;
  else if (arch == "armel") arch = "arm", variant = variant.empty() ? "v6" : variant;
  if (!variant.empty() && variant.front() != 'v') variant = "v" + variant;
  if (arch == "arm64" && variant == "v8") variant.clear();  // v8 is what arm64 means without one
  return {std::move(os), std::move(arch), std::move(variant)};
}

}  // namespace detail

/// @brief The platform in "os/arch[/variant]"; parts that are missing stay empty.
inline platform parse_platform(std::string_view text) {
  const auto first = text.find('/');
  const auto os = text.substr(0, first);
  std::string_view arch, variant;
  if (first != std::string_view::npos) {
    const auto rest = text.substr(first + 1);
    const auto second = rest.find('/');
    arch = rest.substr(0, second);
    if (second != std::string_view::npos) variant = rest.substr(second + 1);
  }
  return detail::normalized(std::string(os), std::string(arch), std::string(variant));
}

/// @brief The platform an inspected image is for.
inline platform platform_of(const image_info& image) {
  return detail::normalized(image.os, image.architecture, image.variant);
}

/// @brief Whether image serves wanted: os and architecture agree, and the variant too when
/// both name one. An image that does not say what it is for is taken as matching.
inline bool serves(const image_info& image, const platform& wanted) {
  const auto have = platform_of(image);
  if (have.os.empty() && have.architecture.empty()) return true;
  if (!wanted.os.empty() && have.os != wanted.os) return false;
  if (!wanted.architecture.empty() && have.architecture != wanted.architecture) return false;
  return wanted.variant.empty() || have.variant.empty() || have.variant == wanted.variant;
}

/// @brief "os/arch[/variant]".
inline std::string to_string(const platform& p) {
  std::string out = p.os + "/" + p.architecture;
  if (!p.variant.empty()) out += "/" + p.variant;
  return out;
}

}  // namespace imagepull
