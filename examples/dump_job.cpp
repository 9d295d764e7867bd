// The call site that motivated imagepull: a database-cloning job makes sure its dump image
// is present before it starts. Here the daemon is a fake, so the example runs anywhere; swap
// in docker::client for a real daemon.
#include <imagepull/pull.hpp>
#include <imagepull/testing/fake_puller.hpp>

#include <fmt/core.h>

#include <iostream>
#include <string>

namespace ip = imagepull;

template <ip::ImagePuller Puller>
ip::expected<void, ip::error> prepare_dump_image(Puller& docker, std::string_view image) {
  auto pulled = ip::pull_image(docker, image, {}, ip::progress::plain(std::cout));
  if (!pulled) return ip::unexpected(ip::wrap(pulled.error(), "failed to prepare dump image \"{}\"", image));
  fmt::print("{} is present as {}{}\n", pulled->ref.familiar(), pulled->image.id, pulled->pulled ? " (pulled)" : "");
  return {};
}

int main() {
  // A daemon that has no image yet, and a registry that has tag 16 but not tag 99.
  ip::testing::fake_puller docker;
  docker.inspect = [&docker](const ip::reference& ref) -> ip::expected<ip::image_info, ip::error> {
    for (const auto& call : docker.calls)
      if (call.method == "image_pull" && call.ref == ref && ref.tag() == "16") return ip::image_info{.id = "sha256:5f0e8f8d"};
    return ip::testing::missing()(ref);
  };
  docker.pull = [](const ip::reference& ref, const ip::pull_options&, const ip::chunk_sink& sink) -> ip::expected<void, ip::error> {
    if (ref.tag() != "16") {
      sink("{\"errorDetail\":{\"message\":\"manifest for " + ref.familiar() + " not found: manifest unknown\"}}\n");
      return {};
    }
    sink("{\"status\":\"Pulling from library/postgres\",\"id\":\"16\"}\n");
    sink("{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"a3ed95caeb02\"}\n");
    sink("{\"status\":\"Status: Downloaded newer image for postgres:16\"}\n");
    return {};
  };

  int failures = 0;
  for (const std::string image : {"postgres:16", "postgres:99"}) {
    if (auto ready = prepare_dump_image(docker, image); !ready) {
      ++failures;
      fmt::print(stderr, "{}\n  not found: {}, category: {}\n", ready.error(), ip::is_not_found(ready.error()),
                 ip::resolve(ready.error()));
    }
  }
  return failures == 1 ? 0 : 1;  // exactly the missing tag must fail
}
