/// @file progress/layer_map.hpp
/// @brief Per-layer bookkeeping shared by the progress policies: a bounded map keyed by layer id.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace imagepull::progress::detail {

// Hashes std::string and std::string_view alike, so that a lookup by a message's id
// allocates nothing.
struct id_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view id) const noexcept { return std::hash<std::string_view>{}(id); }
};

template <class T>
using layer_map = std::unordered_map<std::string, T, id_hash, std::equal_to<>>;

// A pull has at most a few hundred layers. The cap keeps a stream that invents ids without end
// from growing the policies' memory with its length.
inline constexpr std::size_t max_layers = 4096;

}  // namespace imagepull::progress::detail
