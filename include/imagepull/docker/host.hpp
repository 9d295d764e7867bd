/// @file docker/host.hpp
/// @brief The daemon's endpoint, read from the environment as the Docker CLI reads it.
#pragma once

#include "imagepull/config.hpp"
#include "imagepull/error.hpp"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <source_location>
#include <string>
#include <string_view>

namespace imagepull::docker {

/// @brief Where the daemon listens and how to talk to it.
struct endpoint {
  std::string host = "unix:///var/run/docker.sock";  ///< as the user wrote it: unix://PATH or tcp://HOST:PORT
  std::string socket_path{};   ///< for unix://
  std::string base_url{};      ///< http(s)://HOST:PORT for tcp://; http://localhost for a socket
  bool tls = false;            ///< DOCKER_TLS_VERIFY set: https with the files below
  std::string ca_file{};       ///< DOCKER_CERT_PATH/ca.pem, if it exists
  std::string cert_file{};     ///< DOCKER_CERT_PATH/cert.pem, if it exists
  std::string key_file{};      ///< DOCKER_CERT_PATH/key.pem, if it exists
  std::string api_version{};   ///< DOCKER_API_VERSION: pinned; empty means negotiate
};

/// @brief Reads an environment variable; std::getenv by default, a map in tests.
using environment = std::function<const char*(const char* name)>;

namespace detail {

// The host as it may be shown: a "user:password@" part is replaced, it may hold a secret.
inline std::string shown_host(std::string_view host) {
  const auto scheme = host.find("://");
  const auto at = host.find('@', scheme == std::string_view::npos ? 0 : scheme + 3);
  if (scheme == std::string_view::npos || at == std::string_view::npos) return std::string(host);
  return fmt::format("{}://…@{}", host.substr(0, scheme), host.substr(at + 1));
}

inline unexpected<error> invalid_host(std::string_view host, std::string_view reason,
                                      std::source_location where = std::source_location::current()) {
  return unexpected(
      error(errc::invalid_argument, fmt::format("invalid DOCKER_HOST \"{}\": {}", shown_host(host), reason), where));
}

inline bool is_api_version(std::string_view v) noexcept {
  const auto dot = v.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == v.size()) return false;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (i != dot && (v[i] < '0' || v[i] > '9')) return false;
  return true;
}

inline expected<endpoint, error> parse_tcp(endpoint ep, std::string_view address) {
  // tcp://HOST[:PORT][/], with [IPv6]; the CLI's defaults are 2375, or 2376 with TLS.
  while (address.ends_with('/')) address.remove_suffix(1);
  std::string_view host = address;
  std::string_view port;
  if (address.starts_with('[')) {
    const auto close = address.find(']');
    if (close == std::string_view::npos) return invalid_host(ep.host, "unclosed [ in the address");
    host = address.substr(0, close + 1);
    const auto rest = address.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':'))
      return invalid_host(ep.host, "unexpected text after the address");
    if (!rest.empty()) port = rest.substr(1);
  } else if (const auto colon = address.rfind(':'); colon != std::string_view::npos) {
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  if (host.empty()) return invalid_host(ep.host, "no host");
  for (const char c : host)
    if (c == '/' || c == '?' || c == '#' || c == '@' || static_cast<unsigned char>(c) <= ' ' ||
        static_cast<unsigned char>(c) >= 0x7f)
      return invalid_host(ep.host, "bad character in the host");
  int number = 0;
  if (port.empty()) {
    number = ep.tls ? 2376 : 2375;
  } else {
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc{} || end != port.data() + port.size() || number < 1 || number > 65535)
      return invalid_host(ep.host, "bad port");
  }
  ep.base_url = fmt::format("{}://{}:{}", ep.tls ? "https" : "http", host, number);
  return ep;
}

}  // namespace detail

/// @brief The endpoint for a DOCKER_HOST value and the TLS/API settings of env.
/// unix:// and tcp:// are supported; ssh:// and npipe:// are not_implemented; anything else
/// is invalid_argument.
inline expected<endpoint, error> parse_endpoint(std::string_view host, const environment& env) {
  endpoint ep;
  ep.host = std::string(host);
  const auto get = [&env](const char* name) -> std::string_view {
    const char* value = env(name);
    return value ? value : "";
  };
  ep.tls = !get("DOCKER_TLS_VERIFY").empty();
  if (ep.tls) {
    std::string dir(get("DOCKER_CERT_PATH"));
    if (dir.empty()) dir = std::string(get("HOME")) + "/.docker";
    // As the Docker CLI does, a file that is not there is not used: with only ca.pem the
    // daemon is verified and no client certificate is offered.
    const auto if_present = [](std::string path) {
      std::error_code ec;
      return std::filesystem::exists(path, ec) ? path : std::string{};
    };
    ep.ca_file = if_present(dir + "/ca.pem");
    ep.cert_file = if_present(dir + "/cert.pem");
    ep.key_file = if_present(dir + "/key.pem");
  }
  ep.api_version = std::string(get("DOCKER_API_VERSION"));
  if (!ep.api_version.empty() && !detail::is_api_version(ep.api_version))
    return unexpected(error(errc::invalid_argument,
                            fmt::format("invalid DOCKER_API_VERSION \"{}\": expected a version such as 1.41", ep.api_version)));

  if (host.starts_with("unix://")) {
    ep.socket_path = std::string(host.substr(7));
    if (ep.socket_path.empty()) ep.socket_path = "/var/run/docker.sock";  // "unix://" alone, as the CLI reads it
    if (ep.socket_path.empty() || ep.socket_path.front() != '/')
      return detail::invalid_host(host, "a unix socket needs an absolute path");
    ep.base_url = "http://localhost";
    return ep;
  }
  if (host.starts_with("tcp://")) return detail::parse_tcp(std::move(ep), host.substr(6));
  if (host.starts_with("ssh://") || host.starts_with("npipe://"))
    return unexpected(error(errc::not_implemented,
                            fmt::format("DOCKER_HOST \"{}\": {} is not supported; use unix:// or tcp://",
                                        detail::shown_host(host), host.substr(0, host.find(':')))));
  return detail::invalid_host(host, "expected unix://PATH or tcp://HOST:PORT");
}

/// @brief The endpoint from DOCKER_HOST (default unix:///var/run/docker.sock), DOCKER_TLS_VERIFY,
/// DOCKER_CERT_PATH and DOCKER_API_VERSION.
inline expected<endpoint, error> endpoint_from_environment(const environment& env = &std::getenv) {
  const char* host = env("DOCKER_HOST");
  return parse_endpoint(host && *host ? host : "unix:///var/run/docker.sock", env);
}

}  // namespace imagepull::docker
