/// @file detail/json_fields.hpp
/// @brief Reading a JSON object's fields by Go's encoding/json rules (internal): the daemon's
/// messages and the Docker config file are written by Go, and read here the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace imagepull::detail {

using ordered_json = nlohmann::ordered_json;

inline bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Reads the fields of one JSON object the way Go's encoding/json does: keys match
// case-insensitively, null leaves a field as it was, a later duplicate key wins, and a value
// of the wrong type is an error naming the key.
class field_reader {
public:
  explicit field_reader(const ordered_json& object) : object_(object) {}

  // Calls read(name, value) for each member; stops at the first error.
  template <class Read>
  std::optional<std::string> each(Read&& read) const {
    for (const auto& [key, value] : object_.items()) {
      if (value.is_null()) continue;
      if (auto problem = read(std::string_view{key}, value)) return problem;
    }
    return std::nullopt;
  }

  static std::optional<std::string> get(std::string_view key, const ordered_json& v, std::string& out) {
    if (!v.is_string()) return wrong_type(key, "a string");
    out = v.get_ref<const std::string&>();
    return std::nullopt;
  }
  static std::optional<std::string> get(std::string_view key, const ordered_json& v, std::int64_t& out) {
    if (v.is_number_integer() && (v.is_number_unsigned() ? v.get<std::uint64_t>() <= INT64_MAX : true)) {
      out = v.get<std::int64_t>();
      return std::nullopt;
    }
    return wrong_type(key, "a 64-bit integer");
  }
  static std::optional<std::string> get(std::string_view key, const ordered_json& v, int& out) {
    std::int64_t wide = 0;
    if (auto problem = get(key, v, wide)) return problem;
    if (wide < INT32_MIN || wide > INT32_MAX) return wrong_type(key, "a 32-bit integer");
    out = static_cast<int>(wide);
    return std::nullopt;
  }
  static std::optional<std::string> get(std::string_view key, const ordered_json& v, bool& out) {
    if (!v.is_boolean()) return wrong_type(key, "true or false");
    out = v.get<bool>();
    return std::nullopt;
  }

private:
  static std::string wrong_type(std::string_view key, std::string_view expected_type) {
    return fmt::format("field \"{}\" must be {}", key, expected_type);
  }
  const ordered_json& object_;
};

template <class T>
std::pair<std::string_view, T&> field(std::string_view name, T& target) noexcept {
  return {name, target};
}

// Dispatches one member to the field whose name matches; unknown keys are ignored, as in Go.
template <class... Fields>
std::optional<std::string> read_field(std::string_view key, const ordered_json& value, Fields&&... fields) {
  std::optional<std::string> problem;
  const bool matched = ((equals_ignoring_case(key, fields.first) &&
                         (problem = field_reader::get(key, value, fields.second), true)) ||
                        ...);
  (void)matched;
  return problem;
}

inline std::optional<std::string> read_object(std::string_view key, const ordered_json& value) {
  if (value.is_object()) return std::nullopt;
  return fmt::format("field \"{}\" must be an object", key);
}

}  // namespace imagepull::detail
