// End to end: docker::client over libcurl against a real dockerd, a real Podman service and
// real registries, all started by tests/e2e/harness (run this binary through it).
#include "imagepull/detail/base64.hpp"
#include "imagepull/docker/connect.hpp"
#include "imagepull/pull.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace imagepull;
using namespace e2e;

namespace {

struct daemon {
  std::string name;
  const char* host_variable;
};
const daemon daemons[] = {{"docker", "IMAGEPULL_E2E_DOCKER_HOST"}, {"podman", "IMAGEPULL_E2E_PODMAN_HOST"}};

docker::curl_client connect_to(const daemon& d) { return connect_host(env(d.host_variable)); }

// Manifest requests the registry has logged for a repository: each pull makes at least one.
std::size_t manifest_requests(const std::string& log_file, std::string_view repository) {
  std::ifstream log(log_file);
  REQUIRE(log);
  const std::regex request(fmt::format("\"(GET|HEAD) /v2/{}/manifests/[^ ]+ HTTP/", repository));
  std::size_t count = 0;
  for (std::string line; std::getline(log, line);) count += std::regex_search(line, request);
  return count;
}

std::string what(const expected<pull_result, error>& r) { return r ? "ok" : r.error().what(); }

}  // namespace

TEST_CASE("both daemons negotiate API 1.41, and one connection serves every request") {
  for (const auto& d : daemons) {
    CAPTURE(d.name);
    auto client = connect_to(d);
    CHECK(client.api_version() == std::string("1.41"));
    for (int i = 0; i < 3; ++i) CHECK_FALSE(client.image_inspect(*reference::parse("localhost:1/absent:1")));
    CHECK(client.transport().connections_opened() == 1);
  }
}

TEST_CASE("a missing image is pulled, then present; a present one is not pulled again") {
  const auto image = env("IMAGEPULL_E2E_REGISTRY") + "/demo:1";
  for (const auto& d : daemons) {
    CAPTURE(d.name);
    auto client = connect_to(d);
    remove_image(client, image);
    REQUIRE_FALSE(client.image_inspect(*reference::parse(image)));

    std::ostringstream progress_lines;
    const auto first = pull_image(client, image, {}, progress::plain(progress_lines));
    REQUIRE_MESSAGE(first, what(first));
    CHECK(first->pulled);
    CHECK(first->image.id.starts_with("sha256:"));
    CHECK(progress_lines.str().find(":") != std::string::npos);
    const auto inspected = client.image_inspect(*reference::parse(image));
    REQUIRE(inspected);
    CHECK(inspected->id == first->image.id);

    const auto before = manifest_requests(env("IMAGEPULL_E2E_REGISTRY_LOG"), "demo");
    CHECK(before > 0);
    const auto second = pull_image(client, image);
    REQUIRE_MESSAGE(second, what(second));
    CHECK_FALSE(second->pulled);
    CHECK(second->image.id == first->image.id);
    CHECK(manifest_requests(env("IMAGEPULL_E2E_REGISTRY_LOG"), "demo") == before);  // nothing reached the registry
  }
}

TEST_CASE("a multi-layer image is pulled with progress for every layer") {
  const auto image = env("IMAGEPULL_E2E_REGISTRY") + "/multi:1";
  const auto layers = std::stoul(env("IMAGEPULL_E2E_MULTI_LAYERS"));
  for (const auto& d : daemons) {
    CAPTURE(d.name);
    auto client = connect_to(d);
    remove_image(client, image);
    struct recorder {
      std::vector<json_message>* seen;
      void on_message(const json_message& m) { seen->push_back(m); }
    };
    std::vector<json_message> seen;
    const auto result = pull_image(client, image, {}, recorder{&seen});
    REQUIRE_MESSAGE(result, what(result));
    CHECK(result->pulled);
    CHECK(seen.size() >= layers);
  }
}

TEST_CASE("an image present for another platform is pulled for the one asked, and checked after") {
  // The seeded images are for the host's platform only: asking for another one must never
  // end as a success, on either daemon, whether the image was there before or not.
  const auto image = env("IMAGEPULL_E2E_REGISTRY") + "/demo:1";
  for (const auto& d : daemons) {
    CAPTURE(d.name);
    auto client = connect_to(d);
    REQUIRE(pull_image(client, image));
    const auto host_platform = platform_of(*client.image_inspect(*reference::parse(image)));
    const auto other = host_platform.architecture == "arm64" ? "linux/amd64" : "linux/arm64";
    pull_image_options options;
    options.request.platform = other;
    const auto result = pull_image(client, image, options);
    REQUIRE_FALSE(result);
    CHECK(is_not_found(result.error()));
    CHECK(what(result).find(fmt::format("the image there is for {}, not for {}", to_string(host_platform), other)) !=
          std::string::npos);
    options.request.platform = to_string(host_platform);
    CHECK(pull_image(client, image, options));
  }
}

TEST_CASE("a tag the registry does not have is not_found on both daemons") {
  // Docker answers 404 before any stream; Podman answers 200 and reports it inside the stream.
  const auto image = env("IMAGEPULL_E2E_REGISTRY") + "/demo:no-such-tag";
  for (const auto& d : daemons) {
    CAPTURE(d.name);
    auto client = connect_to(d);
    const auto result = pull_image(client, image);
    REQUIRE_FALSE(result);
    CHECK(is_not_found(result.error()));
    CHECK(resolve(result.error()) == errc::not_found);
    CHECK(what(result).starts_with("failed to pull image \"" + image + "\": "));
    CHECK(what(result).find("manifest unknown") != std::string::npos);
  }
}

TEST_CASE("a registry that is down is unavailable on both daemons") {
  const auto image = env("IMAGEPULL_E2E_DOWN_REGISTRY") + "/demo:1";
  for (const auto& d : daemons) {
    CAPTURE(d.name);
    auto client = connect_to(d);
    const auto result = pull_image(client, image);
    REQUIRE_FALSE(result);
    CHECK_MESSAGE(is_unavailable(result.error()), what(result));
    CHECK_FALSE(is_not_found(result.error()));
  }
}

TEST_CASE("a corrupted layer is a failed pull, never a success") {
  const auto image = env("IMAGEPULL_E2E_REGISTRY") + "/corrupt:1";
  for (const auto& d : daemons) {
    CAPTURE(d.name);
    auto client = connect_to(d);
    remove_image(client, image);
    const auto result = pull_image(client, image, {.verify = false});  // the stream alone must say it failed
    REQUIRE_FALSE(result);
    CHECK(what(result).starts_with("failed to pull image \"" + image + "\": "));
    CHECK_FALSE(client.image_inspect(*reference::parse(image)));
    if (d.name == "docker") CHECK(resolve(result.error()) == errc::data_loss);
  }
}

TEST_CASE("a registry that needs a login") {
  const auto image = env("IMAGEPULL_E2E_AUTH_REGISTRY") + "/private:1";
  const auto user = env("IMAGEPULL_E2E_AUTH_USER");
  const auto password = env("IMAGEPULL_E2E_AUTH_PASSWORD");
  for (const auto& d : daemons) {
    CAPTURE(d.name);
    auto client = connect_to(d);
    remove_image(client, image);

    SUBCASE("without credentials: unauthorized") {
      const auto result = pull_image(client, image);
      REQUIRE_FALSE(result);
      CHECK_MESSAGE(is_unauthorized(result.error()), what(result));
    }
    SUBCASE("with a wrong password: unauthorized, and the password is not in the error") {
      pull_image_options options;
      options.request.auth = registry_auth{.username = user, .password = password + "-wrong",
                                           .server_address = env("IMAGEPULL_E2E_AUTH_REGISTRY")};
      const auto result = pull_image(client, image, options);
      REQUIRE_FALSE(result);
      CHECK_MESSAGE(is_unauthorized(result.error()), what(result));
      CHECK(what(result).find(password) == std::string::npos);
    }
    SUBCASE("with the right credentials: pulled") {
      pull_image_options options;
      options.request.auth = registry_auth{.username = user, .password = password,
                                           .server_address = env("IMAGEPULL_E2E_AUTH_REGISTRY")};
      const auto result = pull_image(client, image, options);
      REQUIRE_MESSAGE(result, what(result));
      CHECK(result->pulled);
    }
  }
}

TEST_CASE("credentials found in a Docker config file") {
  const auto registry = env("IMAGEPULL_E2E_AUTH_REGISTRY");
  const auto image = registry + "/private:1";
  const auto config_dir = env("IMAGEPULL_E2E_DIR") + "/client-config";
  std::filesystem::create_directories(config_dir);
  {
    // base64 of "user:password", as `docker login` writes it.
    const auto plain = env("IMAGEPULL_E2E_AUTH_USER") + ":" + env("IMAGEPULL_E2E_AUTH_PASSWORD");
    const auto encoded = imagepull::detail::base64_encode(plain, imagepull::detail::base64_standard);
    std::ofstream(config_dir + "/config.json") << fmt::format(R"({{"auths":{{"{}":{{"auth":"{}"}}}}}})", registry, encoded);
  }
  REQUIRE(setenv("DOCKER_CONFIG", config_dir.c_str(), 1) == 0);
  for (const auto& d : daemons) {
    CAPTURE(d.name);
    {
      auto cleaner = connect_to(d);
      remove_image(cleaner, image);
    }
    auto ep = docker::parse_endpoint(env(d.host_variable), &no_variables);
    REQUIRE(ep);
    auto client = docker::connect(*ep);  // reads $DOCKER_CONFIG/config.json
    REQUIRE(client);
    const auto result = pull_image(*client, image);
    REQUIRE_MESSAGE(result, what(result));
    CHECK(result->pulled);
  }
  unsetenv("DOCKER_CONFIG");
}

TEST_CASE("a daemon socket that does not exist is unavailable, and the error names it") {
  const auto socket = env("IMAGEPULL_E2E_DIR") + "/no-such.sock";
  auto ep = docker::parse_endpoint("unix://" + socket, &no_variables);
  REQUIRE(ep);
  auto client = docker::connect(*ep, {.load_credentials = false});
  REQUIRE(client);
  const auto result = pull_image(*client, env("IMAGEPULL_E2E_REGISTRY") + "/demo:1");
  REQUIRE_FALSE(result);
  CHECK(is_unavailable(result.error()));
  CHECK_FALSE(is_not_found(result.error()));
  CHECK(what(result).find(socket) != std::string::npos);
}

TEST_CASE("an invalid reference is invalid_argument and nothing is sent") {
  // Pointed at a socket that does not exist: any request would fail as unavailable instead.
  auto ep = docker::parse_endpoint("unix://" + env("IMAGEPULL_E2E_DIR") + "/no-such.sock",
                                   &no_variables);
  REQUIRE(ep);
  auto offline = docker::connect(*ep, {.load_credentials = false});
  REQUIRE(offline);
  for (const char* bad : {"Demo:1", "demo:1&tag=evil", "demo/../x", "", "demo:1 ", "localhost:5000/demo?x=1"}) {
    CAPTURE(bad);
    const auto result = pull_image(*offline, bad);
    REQUIRE_FALSE(result);
    CHECK(is_invalid_argument(result.error()));
  }
  // And against a live daemon, the registry sees nothing.
  auto live = connect_to(daemons[0]);
  const auto before = manifest_requests(env("IMAGEPULL_E2E_REGISTRY_LOG"), "demo");
  CHECK_FALSE(pull_image(live, env("IMAGEPULL_E2E_REGISTRY") + "/demo:1&tag=2"));
  CHECK(manifest_requests(env("IMAGEPULL_E2E_REGISTRY_LOG"), "demo") == before);
}

namespace {
// The original bug: an SDK upgrade made the daemon's 404 arrive wrapped.
template <ImagePuller Inner>
struct wrapping_sdk {
  Inner* inner;
  expected<image_info, error> image_inspect(const reference& ref) {
    auto info = inner->image_inspect(ref);
    if (!info) return unexpected(wrap(wrap(info.error(), "Error response from daemon"), "sdk v2: inspect {}", ref.familiar()));
    return info;
  }
  expected<void, error> image_pull(const reference& ref, const pull_options& options, const chunk_sink& sink) {
    return inner->image_pull(ref, options, sink);
  }
};
}  // namespace

TEST_CASE("a wrapped not-found from a real inspect still drives a pull") {
  const auto image = env("IMAGEPULL_E2E_REGISTRY") + "/other:1";
  for (const auto& d : daemons) {
    CAPTURE(d.name);
    auto client = connect_to(d);
    remove_image(client, image);
    wrapping_sdk<docker::curl_client> sdk{&client};
    const auto missing = sdk.image_inspect(*reference::parse(image));
    REQUIRE_FALSE(missing);
    REQUIRE(missing.error().what().starts_with("sdk v2: inspect "));
    const auto result = pull_image(sdk, image);
    REQUIRE_MESSAGE(result, what(result));
    CHECK(result->pulled);
  }
}

TEST_CASE("a pull cancelled through the stop token ends as canceled") {
  const auto image = env("IMAGEPULL_E2E_REGISTRY") + "/multi:1";
  for (const auto& d : daemons) {
    CAPTURE(d.name);
    auto client = connect_to(d);
    remove_image(client, image);
    std::stop_source stop;
    struct cancel_on_first_message {
      std::stop_source* stop;
      void on_message(const json_message&) { stop->request_stop(); }
    };
    pull_image_options options;
    options.request.stop = stop.get_token();
    const auto result = pull_image(client, image, options, cancel_on_first_message{&stop});
    REQUIRE_FALSE(result);
    CHECK_MESSAGE(is_canceled(result.error()), what(result));
  }
}

// ------------------------------------------------------------------ TCP and TLS, as the Docker CLI
// finds them: DOCKER_HOST=tcp://…, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem).
// The harness's dockerd also listens on a loopback port with --tlsverify: only a client
// certificate from its CA gets in.

namespace {

// DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH=cert_path; nothing else is set.
docker::environment tls_environment(std::string cert_path) {
  return [cert_path = std::move(cert_path)](const char* name) -> const char* {
    const std::string_view n(name);
    if (n == "DOCKER_TLS_VERIFY") return "1";
    if (n == "DOCKER_CERT_PATH") return cert_path.c_str();
    return nullptr;
  };
}

docker::curl_client connect_tls(const std::string& cert_path) {
  auto ep = docker::parse_endpoint(env("IMAGEPULL_E2E_DOCKER_TLS_HOST"), tls_environment(cert_path));
  REQUIRE(ep);
  CHECK(ep->tls);
  CHECK(ep->base_url.starts_with("https://127.0.0.1:"));
  CHECK(ep->ca_file == cert_path + "/ca.pem");
  CHECK(ep->cert_file == (std::filesystem::exists(cert_path + "/cert.pem") ? cert_path + "/cert.pem" : ""));
  auto client = docker::connect(*ep, {.load_credentials = false});
  REQUIRE(client);
  return std::move(*client);
}

// A DOCKER_CERT_PATH under the harness's directory, made of files copied from elsewhere.
std::string cert_dir(const std::string& name, std::initializer_list<std::pair<std::string, std::string>> files) {
  const auto dir = env("IMAGEPULL_E2E_DIR") + "/" + name;
  std::filesystem::create_directories(dir);
  for (const auto& [from, to] : files)
    std::filesystem::copy_file(from, dir + "/" + to, std::filesystem::copy_options::overwrite_existing);
  return dir;
}

// Pulls demo:1, which must fail at once (no timeout involved), and not as a missing image.
error refused_pull(docker::curl_client& client) {
  const auto started = std::chrono::steady_clock::now();
  const auto result = pull_image(client, env("IMAGEPULL_E2E_REGISTRY") + "/demo:1");
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(result);
  CAPTURE(what(result));
  CHECK_FALSE(is_not_found(result.error()));
  CHECK(took < std::chrono::seconds(5));
  return result.error();
}

// The libcurl result code in the chain; 0 when there is none.
int curl_code(const error& e) {
  int code = 0;
  visit_links(e, [&](const error& link, std::size_t) {
    if (link.code().category() != transport::curl_category()) return false;
    code = link.code().value();
    return true;
  });
  return code;
}

// Refused by the daemon during or right after the TLS 1.3 handshake. Which code libcurl
// reports is a race: the daemon's alert is read first (CURLE_RECV_ERROR, "... sslv3 alert bad
// certificate") or its reset breaks the request being written (CURLE_SEND_ERROR, "Connection
// reset by peer"). Both mean that the connection failed, so both are unavailable.
void check_refused_by_daemon(const error& e) {
  CAPTURE(e.what());
  CHECK(resolve(e) == errc::unavailable);
  const auto code = curl_code(e);
  CHECK((code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR));
  CHECK(e.what().find(env("IMAGEPULL_E2E_DOCKER_TLS_HOST")) != std::string::npos);  // names the daemon
}

}  // namespace

TEST_CASE("TLS with a client certificate, found through DOCKER_TLS_VERIFY and DOCKER_CERT_PATH") {
  const auto image = env("IMAGEPULL_E2E_REGISTRY") + "/demo:1";
  auto client = connect_tls(env("IMAGEPULL_E2E_DOCKER_CERT_PATH"));
  CHECK(client.api_version() == std::string("1.41"));
  remove_image(client, image);
  REQUIRE_FALSE(client.image_inspect(*reference::parse(image)));

  const auto result = pull_image(client, image);
  REQUIRE_MESSAGE(result, what(result));
  CHECK(result->pulled);
  const auto inspected = client.image_inspect(*reference::parse(image));
  REQUIRE(inspected);
  CHECK(inspected->id == result->image.id);
  // The same daemon as on the unix socket.
  auto local = connect_to(daemons[0]);
  const auto seen_locally = local.image_inspect(*reference::parse(image));
  REQUIRE(seen_locally);
  CHECK(seen_locally->id == result->image.id);
}

TEST_CASE("TLS without a client certificate is refused") {
  const auto ca = env("IMAGEPULL_E2E_DOCKER_CERT_PATH") + "/ca.pem";
  SUBCASE("DOCKER_CERT_PATH with only ca.pem: as with the Docker CLI, no certificate is offered") {
    const auto dir = cert_dir("tls-ca-only", {{ca, "ca.pem"}});
    for (int attempt = 0; attempt < 3; ++attempt) {  // each a new connection: see the race above
      CAPTURE(attempt);
      auto client = connect_tls(dir);
      check_refused_by_daemon(refused_pull(client));
    }
  }
  SUBCASE("a transport that sends no certificate is refused by the daemon") {
    auto ep = docker::parse_endpoint(env("IMAGEPULL_E2E_DOCKER_TLS_HOST"), tls_environment("/nonexistent"));
    REQUIRE(ep);
    for (int attempt = 0; attempt < 3; ++attempt) {  // each a new connection: see the race above
      CAPTURE(attempt);
      auto transport = transport::curl_transport::create({.base_url = ep->base_url, .ca_file = ca});
      REQUIRE(transport);
      docker::curl_client client(std::move(*transport), {.daemon = ep->host});
      check_refused_by_daemon(refused_pull(client));
    }
  }
}

TEST_CASE("TLS with a CA that does not match is refused") {
  const auto ours = env("IMAGEPULL_E2E_DOCKER_CERT_PATH");
  const auto other = env("IMAGEPULL_E2E_OTHER_CA_CERT_PATH");  // a second CA and a client certificate of its own
  SUBCASE("our ca.pem does not know the daemon's certificate: we refuse it") {
    auto client = connect_tls(other);
    const auto e = refused_pull(client);
    CAPTURE(e.what());
    CHECK(resolve(e) == errc::permission_denied);
    CHECK(curl_code(e) == CURLE_PEER_FAILED_VERIFICATION);
    CHECK(e.what().find("SSL certificate problem") != std::string::npos);
    CHECK(e.what().find(env("IMAGEPULL_E2E_DOCKER_TLS_HOST")) != std::string::npos);
  }
  SUBCASE("the daemon's CA does not know our client certificate: it refuses us") {
    const auto dir = cert_dir("tls-other-client", {{ours + "/ca.pem", "ca.pem"},
                                                   {other + "/cert.pem", "cert.pem"},
                                                   {other + "/key.pem", "key.pem"}});
    for (int attempt = 0; attempt < 3; ++attempt) {
      CAPTURE(attempt);
      auto client = connect_tls(dir);
      check_refused_by_daemon(refused_pull(client));
    }
  }
}

TEST_CASE("plain TCP to a TLS port fails clearly") {
  // No DOCKER_TLS_VERIFY: http:// to the TLS port. Go's TLS server answers a plain HTTP request
  // with "HTTP/1.0 400 Bad Request" and its reason, so the error is an answer, not a hang.
  auto ep = docker::parse_endpoint(env("IMAGEPULL_E2E_DOCKER_TLS_HOST"), &no_variables);
  REQUIRE(ep);
  CHECK_FALSE(ep->tls);
  CHECK(ep->base_url.starts_with("http://127.0.0.1:"));
  auto client = docker::connect(*ep, {.load_credentials = false});
  REQUIRE(client);
  const auto e = refused_pull(*client);
  CAPTURE(e.what());
  CHECK(resolve(e) == errc::invalid_argument);
  CHECK(e.what().find("HTTP 400") != std::string::npos);
  CHECK(e.what().find("Client sent an HTTP request to an HTTPS server") != std::string::npos);
}
