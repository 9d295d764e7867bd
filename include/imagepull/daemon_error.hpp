/// @file daemon_error.hpp
/// @brief Turns a daemon's error text (and HTTP status, if any) into a classified error.
///
/// The status alone often says nothing: Docker answers 500 for "unauthorized: authentication
/// required" and Podman reports a missing tag as a 200 stream. The registry's vocabulary inside
/// the text does say what happened, so both the status and the text feed the chain.
#pragma once

#include "imagepull/error.hpp"

#include <cctype>
#include <source_location>
#include <string>
#include <string_view>
#include <system_error>

namespace imagepull {

namespace detail {

struct message_pattern {
  std::string_view needle;  // lower case
  std::error_code code;
};

inline bool contains_ignoring_case(std::string_view text, std::string_view lower_needle) noexcept {
  if (lower_needle.size() > text.size()) return false;
  for (std::size_t i = 0; i + lower_needle.size() <= text.size(); ++i) {
    std::size_t j = 0;
    while (j < lower_needle.size() &&
           std::tolower(static_cast<unsigned char>(text[i + j])) == lower_needle[j])
      ++j;
    if (j == lower_needle.size()) return true;
  }
  return false;
}

}  // namespace detail

/// @brief The code that a daemon or registry message means, from its wording; empty if none.
/// The first matching phrase wins, so the more specific phrases come first.
inline std::error_code classify_daemon_message(std::string_view text) {
  static const detail::message_pattern patterns[] = {
      {"manifest unknown", registry_errc::manifest_unknown},
      {"blob unknown", registry_errc::blob_unknown},
      {"name unknown", registry_errc::name_unknown},
      {"repository name not known", registry_errc::name_unknown},
      {"unauthorized:", registry_errc::unauthorized},
      {"no basic auth credentials", registry_errc::unauthorized},
      {"authentication required", registry_errc::unauthorized},
      {"denied:", registry_errc::denied},
      {"toomanyrequests", registry_errc::toomanyrequests},
      {"connection refused", std::make_error_code(std::errc::connection_refused)},
      {"no such host", to_error_code(errc::unavailable)},
      {"i/o timeout", std::make_error_code(std::errc::timed_out)},
      {"verification failed", to_error_code(errc::data_loss)},
  };
  for (const auto& pattern : patterns)
    if (detail::contains_ignoring_case(text, pattern.needle)) return pattern.code;
  return {};
}

/// @brief An error for a message a daemon reported; http_status is 0 when there was none.
/// The wording's meaning comes first in the chain, so resolve() prefers "unauthorized" to the
/// 500 that carried it; the status stays below as a bare code for is(). The text is kept whole.
inline error daemon_error(int http_status, std::string message,
                          std::source_location where = std::source_location::current()) {
  const auto from_text = classify_daemon_message(message);
  const auto from_status = http_status != 0 ? http_error_code(http_status) : std::error_code{};
  if (!from_text) return error(from_status ? from_status : to_error_code(errc::unknown), std::move(message), where);
  if (!from_status) return error(from_text, std::move(message), where);
  return make_link(from_text, std::move(message), where, {error(from_status, {}, where)});
}

}  // namespace imagepull
