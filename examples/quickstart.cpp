#include <imagepull/docker/connect.hpp>
#include <imagepull/pull.hpp>
#include <fmt/core.h>
#include <iostream>

int main(int argc, char** argv) {
  auto docker = imagepull::docker::connect_from_environment();  // DOCKER_HOST, TLS, ~/.docker/config.json
  if (!docker) return fmt::print(stderr, "{}\n", docker.error()), 2;
  auto pulled = imagepull::pull_image(*docker, argc > 1 ? argv[1] : "postgres:16", {},
                                      imagepull::progress::plain(std::cout));
  if (!pulled) {
    fmt::print(stderr, "failed to prepare dump image: {}\n", pulled.error());
    return imagepull::is_not_found(pulled.error()) ? 3 : 1;  // true for a 404, a missing tag, …
  }
  fmt::print("{} is {}\n", pulled->ref.familiar(), pulled->pulled ? "pulled" : "already present");
}
