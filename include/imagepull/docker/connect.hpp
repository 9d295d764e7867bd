/// @file docker/connect.hpp
/// @brief Connecting a docker::client over libcurl to the daemon the environment names.
/// Needs libcurl, like transport/curl.hpp.
#pragma once

#include "imagepull/docker/auth.hpp"
#include "imagepull/docker/client.hpp"
#include "imagepull/docker/host.hpp"
#include "imagepull/transport/curl.hpp"

#include <chrono>
#include <optional>
#include <utility>

namespace imagepull::docker {

/// @brief The client type that connect() makes.
using curl_client = client<transport::curl_transport>;
static_assert(ImagePuller<curl_client>);

/// @brief What connect() may be told besides the endpoint.
struct connect_options {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::seconds idle_timeout{300};  ///< a pull that receives nothing for this long fails
  bool load_credentials = true;            ///< read the Docker config file for registry logins
  std::optional<credential_store> credentials{};  ///< when set, used instead of reading the file
};

/// @brief A client for the daemon at ep, with the Docker config file's credentials.
inline expected<curl_client, error> connect(const endpoint& ep, const connect_options& options = {}) {
  auto transport = transport::curl_transport::create({
      .unix_socket = ep.socket_path,
      .base_url = ep.base_url,
      .ca_file = ep.ca_file,
      .cert_file = ep.cert_file,
      .key_file = ep.key_file,
      .verify_peer = true,
      .connect_timeout = options.connect_timeout,
      .idle_timeout = options.idle_timeout,
  });
  if (!transport) return unexpected(std::move(transport.error()));
  client_options client{.daemon = ep.host, .api_version = ep.api_version};
  if (options.credentials) {
    client.credentials = options.credentials;
  } else if (options.load_credentials) {
    auto store = credential_store::load_default();
    if (!store) return unexpected(std::move(store.error()));
    client.credentials = std::move(*store);
  }
  return curl_client(std::move(*transport), std::move(client));
}

/// @brief A client for the daemon that DOCKER_HOST and friends name, as the Docker CLI finds it.
inline expected<curl_client, error> connect_from_environment(const connect_options& options = {}) {
  auto ep = endpoint_from_environment();
  if (!ep) return unexpected(std::move(ep.error()));
  return connect(*ep, options);
}

}  // namespace imagepull::docker
