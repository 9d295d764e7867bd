// What the end-to-end tests share: the harness's variables and a few daemon chores.
#pragma once

#include "imagepull/docker/connect.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

namespace e2e {

/// The harness's variable; a test run outside the harness fails here, saying so.
inline std::string env(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) FAIL("missing " << name << ": run this test through tests/e2e/harness");
  return value;
}

/// An environment with no variables: endpoints built from it use no TLS and no pinned version.
inline const char* no_variables(const char*) { return nullptr; }

/// A client for a daemon URL, without the user's Docker config.
inline imagepull::docker::curl_client connect_host(const std::string& host) {
  auto ep = imagepull::docker::parse_endpoint(host, &no_variables);
  REQUIRE(ep);
  auto client = imagepull::docker::connect(*ep, {.load_credentials = false});
  REQUIRE(client);
  return std::move(*client);
}

/// Removes an image so that the next pull must fetch it (not part of the library's API).
inline void remove_image(imagepull::docker::curl_client& client, std::string_view image) {
  using namespace imagepull;
  const auto ref = reference::parse(image);
  REQUIRE(ref);
  const auto version = client.api_version();
  REQUIRE(version);
  const auto target =
      fmt::format("/v{}/images/{}?force=1", *version, transport::percent_encode(ref->api_inspect_name(), "/:@"));
  const auto head = client.transport().send({"DELETE", target, {}, {}}, [](const transport::response_head&, std::string_view) {});
  REQUIRE(head);
  REQUIRE((head->status == 200 || head->status == 404));
}

/// Whether the daemon at host has the image.
inline bool present(const std::string& host, std::string_view image) {
  auto client = connect_host(host);
  return client.image_inspect(*imagepull::reference::parse(image)).has_value();
}

}  // namespace e2e
