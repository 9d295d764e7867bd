#include "imagepull/docker/client.hpp"
#include "imagepull/docker/host.hpp"
#include "imagepull/pull.hpp"

#include "stream_samples.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

using namespace imagepull;

namespace {

// A transport that answers from a script and records what it was asked. Logic tests only:
// the real transport is tested against real daemons in tests/e2e.
struct scripted_transport {
  struct answer {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers{};
    std::vector<std::string> chunks{};
  };
  std::deque<expected<answer, error>> script{};
  std::vector<transport::request> requests{};

  expected<transport::response_head, error> send(const transport::request& req, const transport::body_sink& sink) {
    requests.push_back(req);
    REQUIRE_FALSE(script.empty());
    auto next = std::move(script.front());
    script.pop_front();
    if (!next) return unexpected(next.error());
    transport::response_head head{next->status, next->headers};
    for (const auto& chunk : next->chunks) sink(head, chunk);
    return head;
  }
};
static_assert(transport::HttpTransport<scripted_transport>);
static_assert(ImagePuller<docker::client<scripted_transport>>);

using answer = scripted_transport::answer;

docker::client<scripted_transport> make_client(std::vector<expected<answer, error>> script, std::string version = "1.41") {
  scripted_transport t;
  for (auto& a : script) t.script.push_back(std::move(a));
  return docker::client<scripted_transport>(std::move(t), {.daemon = "unix:///run/test.sock", .api_version = version});
}

reference parsed(std::string_view text) { return *reference::parse(text); }

std::string base64url_decode(std::string_view in) {
  std::string out;
  int bits = 0, value = 0;
  for (const char c : in) {
    if (c == '=') break;
    const auto p = std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_").find(c);
    REQUIRE(p != std::string_view::npos);
    value = (value << 6) | static_cast<int>(p);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("API version negotiation follows the Docker CLI") {
  SUBCASE("a newer daemon: ours") {
    auto c = make_client({answer{200, {{"Api-Version", "1.45"}}, {}}}, "");
    CHECK(c.api_version() == std::string("1.41"));
    CHECK(c.api_version() == std::string("1.41"));  // negotiated once
    CHECK(c.transport().requests.size() == 1);
    CHECK(c.transport().requests[0].method == "HEAD");
    CHECK(c.transport().requests[0].target == "/_ping");
  }
  SUBCASE("an older daemon: its own") {
    auto c = make_client({answer{200, {{"api-version", "1.40"}}, {}}}, "");
    CHECK(c.api_version() == std::string("1.40"));
  }
  SUBCASE("HEAD without the header: GET") {
    auto c = make_client({answer{405, {}, {}}, answer{200, {{"Api-Version", "1.39"}}, {"OK"}}}, "");
    CHECK(c.api_version() == std::string("1.39"));
    CHECK(c.transport().requests[1].method == "GET");
  }
  SUBCASE("no version at all: 1.24") {
    auto c = make_client({answer{200, {}, {}}, answer{200, {}, {"OK"}}}, "");
    CHECK(c.api_version() == std::string("1.24"));
  }
  SUBCASE("a pinned version sends no ping") {
    auto c = make_client({answer{200, {}, {R"({"Id":"sha256:1"})"}}}, "1.40");
    REQUIRE(c.image_inspect(parsed("alpine")));
    CHECK(c.transport().requests.size() == 1);
    CHECK(c.transport().requests[0].target == "/v1.40/images/docker.io/library/alpine:latest/json");
  }
  SUBCASE("a nonsense version is an error") {
    auto c = make_client({answer{200, {{"Api-Version", "x.y"}}, {}}}, "");
    const auto v = c.api_version();
    REQUIRE_FALSE(v);
    CHECK(v.error().what() == "the daemon at unix:///run/test.sock reports an invalid API version \"x.y\"");
  }
  SUBCASE("an unreachable daemon is unavailable, and named") {
    auto c = make_client({unexpected(error(std::error_code(ECONNREFUSED, std::system_category()), "HEAD /_ping: refused"))}, "");
    const auto info = c.image_inspect(parsed("alpine"));
    REQUIRE_FALSE(info);
    CHECK(is_unavailable(info.error()));
    CHECK(info.error().what() == "daemon at unix:///run/test.sock: HEAD /_ping: refused");
  }
}

TEST_CASE("image_inspect") {
  SUBCASE("present") {
    auto c = make_client({answer{200, {}, {R"({"Id":"sha256:ab","RepoTags":["x:1"],"RepoDigests":null,)",
                                           R"("Size":123,"Os":"linux","Architecture":"amd64","Other":{}})"}}});
    const auto info = c.image_inspect(parsed("localhost:5000/x:1"));
    REQUIRE(info);
    CHECK(info->id == "sha256:ab");
    CHECK(info->repo_tags == std::vector<std::string>{"x:1"});
    CHECK(info->repo_digests.empty());
    CHECK(info->size == 123);
    CHECK(info->os == "linux");
    CHECK(info->architecture == "amd64");
    CHECK(c.transport().requests[0].method == "GET");
    CHECK(c.transport().requests[0].target == "/v1.41/images/localhost:5000/x:1/json");
  }
  SUBCASE("missing, as Docker says it") {
    auto c = make_client({answer{404, {}, {R"({"message":"No such image: x:1"})"}}});
    const auto info = c.image_inspect(parsed("x:1"));
    REQUIRE_FALSE(info);
    CHECK(is_not_found(info.error()));
    CHECK(info.error().what() == "No such image: x:1");
  }
  SUBCASE("missing, as Podman says it") {
    auto c = make_client({answer{404, {}, {R"({"cause":"failed to find image x","message":"failed to find image x: x: image not known","response":404})"}}});
    const auto info = c.image_inspect(parsed("x:1"));
    REQUIRE_FALSE(info);
    CHECK(is_not_found(info.error()));
    CHECK(info.error().what() == "failed to find image x: x: image not known");
  }
  SUBCASE("an answer that is not JSON keeps its status and shows an excerpt") {
    auto c = make_client({answer{502, {}, {"<html>bad\ngateway</html>"}}});
    const auto info = c.image_inspect(parsed("x:1"));
    REQUIRE_FALSE(info);
    CHECK(info.error().what() == "the daemon answered HTTP 502: \"<html>bad\\x0agateway</html>\"");
    CHECK(is(info.error(), http_error_code(502)));
  }
  SUBCASE("an empty error answer") {
    auto c = make_client({answer{503, {}, {}}});
    const auto info = c.image_inspect(parsed("x:1"));
    REQUIRE_FALSE(info);
    CHECK(is_unavailable(info.error()));
    CHECK(info.error().what() == "the daemon answered HTTP 503 without a message");
  }
  SUBCASE("a malformed success") {
    auto c = make_client({answer{200, {}, {R"({"Id":5})"}}});
    const auto info = c.image_inspect(parsed("x:1"));
    REQUIRE_FALSE(info);
    CHECK(is_data_loss(info.error()));
    CHECK(info.error().what() == "the daemon's image inspect answer is malformed: Id is not a string");
  }
  SUBCASE("an oversized success") {
    scripted_transport t;
    t.script.push_back(answer{200, {}, {std::string(600, ' '), std::string(600, ' ')}});
    docker::client<scripted_transport> c(std::move(t), {.daemon = "d", .api_version = "1.41", .max_inspect_body = 1000});
    const auto info = c.image_inspect(parsed("x:1"));
    REQUIRE_FALSE(info);
    CHECK(is_resource_exhausted(info.error()));
  }
  SUBCASE("names are escaped: an IPv6 registry, a digest") {
    auto c = make_client({answer{200, {}, {R"({"Id":"sha256:1"})"}}});
    const std::string digest = "sha256:" + std::string(64, 'a');
    REQUIRE(c.image_inspect(parsed("[::1]:5000/x@" + digest)));
    CHECK(c.transport().requests[0].target == "/v1.41/images/%5B::1%5D:5000/x@" + digest + "/json");
  }
}

TEST_CASE("image_pull") {
  std::string received;
  const chunk_sink collect = [&](std::string_view chunk) { received += chunk; };
  pull_options options;

  SUBCASE("streams the body to the sink, untouched") {
    auto c = make_client({answer{200, {}, {samples::docker_pull.substr(0, 100), samples::docker_pull.substr(100)}}});
    REQUIRE(c.image_pull(parsed("localhost:5000/multi:1"), options, collect));
    CHECK(received == samples::docker_pull);
    const auto& req = c.transport().requests[0];
    CHECK(req.method == "POST");
    CHECK(req.target == "/v1.41/images/create?fromImage=localhost%3A5000%2Fmulti&tag=1");
    CHECK(req.headers.empty());
  }
  SUBCASE("a digest is the tag the API wants; the platform is lower-cased") {
    options.platform = "Linux/ARM64/v8";
    auto c = make_client({answer{200, {}, {}}});
    const std::string digest = "sha256:" + std::string(64, 'b');
    REQUIRE(c.image_pull(parsed("postgres@" + digest), options, collect));
    CHECK(c.transport().requests[0].target ==
          "/v1.41/images/create?fromImage=docker.io%2Flibrary%2Fpostgres&tag=sha256%3A" + std::string(64, 'b') +
              "&platform=linux%2Farm64%2Fv8");
  }
  SUBCASE("credentials travel as X-Registry-Auth") {
    options.auth = registry_auth{.username = "u", .password = "p:w", .server_address = "localhost:5000"};
    auto c = make_client({answer{200, {}, {}}});
    REQUIRE(c.image_pull(parsed("localhost:5000/x:1"), options, collect));
    const auto& headers = c.transport().requests[0].headers;
    REQUIRE(headers.size() == 1);
    CHECK(headers[0].first == "X-Registry-Auth");
    const auto json = nlohmann::json::parse(base64url_decode(headers[0].second));
    CHECK(json["username"] == "u");
    CHECK(json["password"] == "p:w");
    CHECK(json["serveraddress"] == "localhost:5000");
  }
  SUBCASE("Docker's 404 before the stream: not found, nothing reaches the sink") {
    auto c = make_client({answer{404, {}, {R"({"message":"manifest for localhost:5000/x:2 not found: manifest unknown: manifest unknown"})"}}});
    const auto pulled = c.image_pull(parsed("localhost:5000/x:2"), options, collect);
    REQUIRE_FALSE(pulled);
    CHECK(is_not_found(pulled.error()));
    CHECK(received.empty());
  }
  SUBCASE("Docker's 500 for a refused login is unauthorized") {
    auto c = make_client({answer{500, {}, {R"({"message":"unauthorized: authentication required"})"}}});
    const auto pulled = c.image_pull(parsed("localhost:5000/x:1"), options, collect);
    REQUIRE_FALSE(pulled);
    CHECK(resolve(pulled.error()) == errc::unauthorized);
  }
  SUBCASE("an oversized error answer is cut, and says so") {
    scripted_transport t;
    t.script.push_back(answer{500, {}, {std::string(100, 'x'), std::string(100, 'y')}});
    docker::client<scripted_transport> c(std::move(t), {.daemon = "d", .api_version = "1.41", .max_error_body = 150});
    const auto pulled = c.image_pull(parsed("x:1"), options, collect);
    REQUIRE_FALSE(pulled);
    CHECK(pulled.error().what().starts_with("the daemon answered HTTP 500 with an oversized body: \"xxxx"));
    CHECK(received.empty());
  }
}

TEST_CASE("pull_image over the client: Podman's 200 with an in-stream error is still a failure") {
  auto c = make_client({answer{404, {}, {R"({"message":"failed to find image demo:2"})"}},
                        answer{200, {}, {samples::podman_missing_tag}}});
  const auto result = pull_image(c, "localhost:5000/demo:2");
  REQUIRE_FALSE(result);
  CHECK(is_not_found(result.error()));
  CHECK(result.error().what() ==
        "failed to pull image \"localhost:5000/demo:2\": reading manifest 2 in localhost:5000/demo: manifest unknown");
}

TEST_CASE("DOCKER_HOST and friends, as the Docker CLI reads them") {
  std::map<std::string, std::string> vars;
  const docker::environment env = [&vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
  SUBCASE("the default socket") {
    const auto ep = docker::endpoint_from_environment(env);
    REQUIRE(ep);
    CHECK(ep->host == "unix:///var/run/docker.sock");
    CHECK(ep->socket_path == "/var/run/docker.sock");
    CHECK(ep->base_url == "http://localhost");
    CHECK_FALSE(ep->tls);
  }
  SUBCASE("unix:// alone is the default socket") {
    vars["DOCKER_HOST"] = "unix://";
    CHECK(docker::endpoint_from_environment(env)->socket_path == "/var/run/docker.sock");
  }
  SUBCASE("tcp with and without a port, IPv6, TLS") {
    vars["DOCKER_HOST"] = "tcp://10.0.0.1";
    CHECK(docker::endpoint_from_environment(env)->base_url == "http://10.0.0.1:2375");
    vars["DOCKER_HOST"] = "tcp://[::1]:2400/";
    CHECK(docker::endpoint_from_environment(env)->base_url == "http://[::1]:2400");
    const auto certs = std::filesystem::temp_directory_path() / fmt::format("imagepull-certs-{}", getpid());
    std::filesystem::create_directories(certs);
    for (const char* file : {"ca.pem", "cert.pem", "key.pem"}) std::ofstream(certs / file) << "x";
    vars["DOCKER_TLS_VERIFY"] = "1";
    vars["DOCKER_CERT_PATH"] = certs.string();
    vars["DOCKER_HOST"] = "tcp://daemon.example";
    auto ep = docker::endpoint_from_environment(env);
    REQUIRE(ep);
    CHECK(ep->base_url == "https://daemon.example:2376");
    CHECK(ep->ca_file == (certs / "ca.pem").string());
    CHECK(ep->cert_file == (certs / "cert.pem").string());
    CHECK(ep->key_file == (certs / "key.pem").string());
    // As with the Docker CLI, files that are not there are not used.
    std::filesystem::remove(certs / "cert.pem");
    std::filesystem::remove(certs / "key.pem");
    ep = docker::endpoint_from_environment(env);
    REQUIRE(ep);
    CHECK(ep->ca_file == (certs / "ca.pem").string());
    CHECK(ep->cert_file.empty());
    CHECK(ep->key_file.empty());
    std::filesystem::remove_all(certs);
  }
  SUBCASE("a pinned API version") {
    vars["DOCKER_API_VERSION"] = "1.40";
    CHECK(docker::endpoint_from_environment(env)->api_version == "1.40");
    vars["DOCKER_API_VERSION"] = "latest";
    const auto ep = docker::endpoint_from_environment(env);
    REQUIRE_FALSE(ep);
    CHECK(is_invalid_argument(ep.error()));
  }
  SUBCASE("ssh and npipe are not implemented; nonsense is invalid") {
    const std::pair<const char*, errc> table[] = {
        {"ssh://host", errc::not_implemented}, {"npipe:////./pipe/docker_engine", errc::not_implemented},
        {"http://host:2375", errc::invalid_argument}, {"unix://relative.sock", errc::invalid_argument},
        {"tcp://", errc::invalid_argument},            {"tcp://host:99999", errc::invalid_argument},
        {"tcp://host:2375?x=1", errc::invalid_argument}, {"tcp://[::1", errc::invalid_argument},
        {"tcp://a b:1", errc::invalid_argument},       {"/var/run/docker.sock", errc::invalid_argument},
        {"tcp://h\xff:1", errc::invalid_argument},
    };
    for (const auto& [host, meaning] : table) {
      CAPTURE(host);
      vars["DOCKER_HOST"] = host;
      const auto ep = docker::endpoint_from_environment(env);
      REQUIRE_FALSE(ep);
      CHECK(resolve(ep.error()) == meaning);
      CHECK(ep.error().what().find(host) != std::string::npos);
    }
  }
  SUBCASE("a password in DOCKER_HOST is never shown") {
    for (const char* host : {"tcp://user:s3cret@127.0.0.1:1", "ssh://user:s3cret@host"}) {
      vars["DOCKER_HOST"] = host;
      const auto ep = docker::endpoint_from_environment(env);
      REQUIRE_FALSE(ep);
      CHECK(ep.error().what().find("s3cret") == std::string::npos);
      CHECK(ep.error().what().find("…@") != std::string::npos);
    }
  }
}

TEST_CASE("percent_encode leaves nothing that could end a value or a segment") {
  CHECK(transport::percent_encode("a-b_c.d~e") == "a-b_c.d~e");
  CHECK(transport::percent_encode("x&tag=y?z#w%/ :") == "x%26tag%3Dy%3Fz%23w%25%2F%20%3A");
  CHECK(transport::percent_encode("a/b:c@d", "/:@") == "a/b:c@d");
  CHECK(transport::percent_encode(std::string_view("\0\xff", 2), "") == "%00%FF");
  CHECK(transport::percent_encode(std::string_view("\0", 1), std::string_view("\0", 1)) == "%00");
}
