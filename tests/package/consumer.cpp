// Built against an installed imagepull, by CMake (find_package) and by pkg-config.
#include <imagepull/docker/connect.hpp>
#include <imagepull/pull.hpp>
#include <imagepull/testing/fake_puller.hpp>

#include <fmt/core.h>

int main() {
  static_assert(imagepull::ImagePuller<imagepull::docker::curl_client>);
  imagepull::testing::fake_puller puller;
  puller.inspect = imagepull::testing::present("sha256:1");
  const auto result = imagepull::pull_image(puller, "postgres:16");
  fmt::print("{} {}\n", result ? result->ref.to_string() : result.error().what(), IMAGEPULL_VERSION_STRING);
  return result && !result->pulled ? 0 : 1;
}
