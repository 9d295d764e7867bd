// libFuzzer target for what the client reads from a daemon besides the pull stream: error
// answers, image inspect answers, and DOCKER_HOST values. Arbitrary bytes must never crash,
// leak or hit UB, and every error must say something. A violation aborts.
#include "imagepull/docker/client.hpp"
#include "imagepull/docker/host.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "daemon_answer_fuzz: %s\n", what);
  std::abort();
}

const char* no_variables(const char*) { return nullptr; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const int status = 100 + data[0] * 2;  // 100..610: every class of status
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  const auto answer = imagepull::docker::detail::answer_error(status, body, (data[0] & 1) != 0);
  require(!answer.what().empty(), "an error answer without text");
  require(imagepull::is(answer, imagepull::http_error_code(status)), "an error answer lost its status");

  if (const auto info = imagepull::docker::detail::parse_image_info(body); !info)
    require(imagepull::is_data_loss(info.error()), "a malformed inspect answer is not data_loss");

  if (const auto ep = imagepull::docker::parse_endpoint(body, &no_variables); ep) {
    require(ep->base_url.starts_with("http://"), "an endpoint without an http base URL");
    require(ep->socket_path.empty() != ep->host.starts_with("unix://"), "a socket path for a non-socket host");
  } else {
    require(!ep.error().what().empty(), "a DOCKER_HOST error without text");
  }
  return 0;
}
