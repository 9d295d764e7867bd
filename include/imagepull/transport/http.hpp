/// @file transport/http.hpp
/// @brief The HTTP transport concept: one request, its response head, its body as it streams.
#pragma once

#include "imagepull/config.hpp"
#include "imagepull/error.hpp"

#include <algorithm>
#include <cctype>
#include <concepts>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imagepull::transport {

/// @brief One HTTP request. target is the path and query, already percent-encoded.
struct request {
  std::string method{};  ///< "GET", "HEAD" or "POST" (a POST sends an empty body)
  std::string target{};  ///< "/v1.41/images/create?fromImage=..."
  std::vector<std::pair<std::string, std::string>> headers{};
  std::stop_token stop{};  ///< cancels the request from any thread
};

/// @brief The status line and headers of a response.
struct response_head {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers{};

  /// @brief The value of the first header called name (case-insensitive), or "".
  std::string_view header(std::string_view name) const noexcept {
    for (const auto& [key, value] : headers)
      if (key.size() == name.size() && std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
          }))
        return value;
    return {};
  }
};

/// @brief Receives the body in pieces as it arrives, with the head already known.
using body_sink = std::function<void(const response_head& head, std::string_view chunk)>;

/// @brief Anything that can send one request and stream its response's body.
/// An HTTP error status is not a transport error: it comes back in the head.
template <class T>
concept HttpTransport = requires(T& transport, const request& req, const body_sink& sink) {
  { transport.send(req, sink) } -> std::same_as<expected<response_head, error>>;
};

/// @brief Percent-encodes text for a URL; RFC 3986 unreserved characters and those in keep
/// stay as they are. Nothing else can survive to end a query value or a path segment.
inline std::string percent_encode(std::string_view text, std::string_view keep = {}) {
  constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                            c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || (u != 0 && keep.find(c) != std::string_view::npos)) {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 0xF];
    }
  }
  return out;
}

}  // namespace imagepull::transport
