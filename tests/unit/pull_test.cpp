#include "imagepull/pull.hpp"
#include "imagepull/testing/fake_puller.hpp"

#include "stream_samples.hpp"

#include <doctest/doctest.h>

#include <new>
#include <optional>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

using namespace imagepull;
using imagepull::testing::fake_puller;
using imagepull::testing::missing;
using imagepull::testing::present;
using imagepull::testing::streams;

namespace {

using inspect_fn = decltype(fake_puller::inspect);
using pull_fn = decltype(fake_puller::pull);

inspect_fn fails_with(error e) {
  return [e](const reference&) -> expected<image_info, error> { return unexpected(e); };
}

pull_fn pull_fails_with(error e) {
  return [e](const reference&, const pull_options&, const chunk_sink&) -> expected<void, error> { return unexpected(e); };
}

// Missing until a pull has run, present after it: what a real daemon does.
inspect_fn missing_until_pulled(const fake_puller& puller) {
  return [&puller](const reference& ref) -> expected<image_info, error> {
    if (puller.count("image_pull") == 0) return missing()(ref);
    return image_info{.id = "sha256:after"};
  };
}

std::vector<std::string> methods(const fake_puller& puller) {
  std::vector<std::string> out;
  for (const auto& call : puller.calls) out.push_back(call.method);
  return out;
}

std::string what(const expected<pull_result, error>& result) { return result ? "ok" : result.error().what(); }

const std::string ok_stream = samples::docker_pull;
const std::vector<std::string> inspect_only{"image_inspect"};
const std::vector<std::string> inspect_pull_inspect{"image_inspect", "image_pull", "image_inspect"};
const std::vector<std::string> inspect_pull{"image_inspect", "image_pull"};

}  // namespace

TEST_CASE("the five outcomes of pull_image") {
  struct row {
    const char* name;
    inspect_fn inspect;  // empty: missing until pulled
    pull_fn pull;
    std::string expected;  // "ok" or the full error text
    std::vector<std::string> calls;
    std::optional<errc> meaning;
  };
  const row table[] = {
      {"present: no pull", present("sha256:1"), streams({ok_stream}), "ok", inspect_only, {}},
      {"not found: pulled", {}, streams({ok_stream}), "ok", inspect_pull_inspect, {}},
      {"inspect fails otherwise: no pull",
       fails_with(error(std::error_code(ECONNREFUSED, std::system_category()), "dial unix /run/docker.sock")),
       streams({ok_stream}), "failed to inspect image \"postgres:16\": dial unix /run/docker.sock", inspect_only,
       errc::unavailable},
      {"pull fails", missing(), pull_fails_with(daemon_error(500, "unauthorized: authentication required")),
       "failed to pull image \"postgres:16\": unauthorized: authentication required", inspect_pull,
       errc::unauthorized},
      {"the stream carries an error", missing(), streams({samples::podman_missing_tag}),
       "failed to pull image \"postgres:16\": reading manifest 2 in localhost:5000/demo: manifest unknown", inspect_pull,
       errc::not_found},
  };
  for (const auto& r : table) {
    CAPTURE(r.name);
    fake_puller puller;
    puller.inspect = r.inspect ? r.inspect : missing_until_pulled(puller);
    puller.pull = r.pull;
    const auto result = pull_image(puller, "postgres:16");
    CHECK(what(result) == r.expected);
    CHECK(methods(puller) == r.calls);
    if (r.meaning) CHECK(resolve(result.error()) == *r.meaning);
    if (result) CHECK(result->pulled == (r.calls.size() > 1));
  }
}

TEST_CASE("a not-found anywhere in inspect's chain drives a pull") {
  const error not_found_forms[] = {
      [] {
        error e(http_error_code(404), "No such image: postgres:16");
        for (int i = 0; i < 10; ++i) e = wrap(e, "sdk layer {}", i);
        return e;
      }(),
      join(error(errc::unavailable, "mirror down"), wrap(error(errc::not_found, "no such image"), "wrapped")),
      error(http_error_code(404), "plain 404"),
      error(registry_errc::manifest_unknown, "manifest unknown"),
  };
  for (const auto& cause : not_found_forms) {
    CAPTURE(cause.what());
    fake_puller puller;
    const auto inspect_first = cause;
    puller.inspect = [&puller, inspect_first](const reference&) -> expected<image_info, error> {
      if (puller.count("image_pull") == 0) return unexpected(inspect_first);
      return image_info{.id = "sha256:x"};
    };
    puller.pull = streams({ok_stream});
    const auto result = pull_image(puller, "postgres:16");
    REQUIRE(result);
    CHECK(result->pulled);
    CHECK(result->image.id == "sha256:x");
    CHECK(puller.count("image_pull") == 1);
  }
}

TEST_CASE("the pull result carries what the daemon reports") {
  fake_puller puller;
  puller.inspect = present("sha256:abc");
  const auto result = pull_image(puller, "postgres:16");
  REQUIRE(result);
  CHECK_FALSE(result->pulled);
  CHECK(result->image.id == "sha256:abc");
  CHECK(result->ref == *reference::parse("postgres:16"));
  CHECK(puller.calls[0].ref == result->ref);
}

TEST_CASE("an invalid reference reaches neither inspect nor pull") {
  fake_puller puller;
  puller.inspect = present("sha256:1");
  puller.pull = streams({ok_stream});
  const auto result = pull_image(puller, "Not A Reference");
  REQUIRE_FALSE(result);
  CHECK(is_invalid_argument(result.error()));
  CHECK(puller.calls.empty());
}

TEST_CASE("pull policy always pulls without looking first") {
  fake_puller puller;
  puller.inspect = present("sha256:1");
  puller.pull = streams({ok_stream});
  const auto result = pull_image(puller, "postgres:16", {.policy = pull_policy::always});
  REQUIRE(result);
  CHECK(result->pulled);
  CHECK(methods(puller) == std::vector<std::string>{"image_pull", "image_inspect"});
}

TEST_CASE("pull policy never does not pull") {
  fake_puller puller;
  puller.pull = streams({ok_stream});
  SUBCASE("a missing image is a not_found error") {
    puller.inspect = missing();
    const auto result = pull_image(puller, "postgres:16", {.policy = pull_policy::never});
    REQUIRE_FALSE(result);
    CHECK(is_not_found(result.error()));
    CHECK(what(result).starts_with("image \"postgres:16\" is not present and the pull policy is never: No such image"));
    CHECK(methods(puller) == inspect_only);
  }
  SUBCASE("a present image is fine") {
    puller.inspect = present("sha256:1");
    CHECK(pull_image(puller, "postgres:16", {.policy = pull_policy::never}));
    CHECK(methods(puller) == inspect_only);
  }
  SUBCASE("an image reported without an id is not present") {
    puller.inspect = present("");
    const auto result = pull_image(puller, "postgres:16", {.policy = pull_policy::never});
    REQUIRE_FALSE(result);
    CHECK(is_not_found(result.error()));
  }
}

TEST_CASE("verification: a pull that left no image is an error") {
  fake_puller puller;
  puller.inspect = missing();
  puller.pull = streams({ok_stream});
  SUBCASE("on by default") {
    const auto result = pull_image(puller, "postgres:16");
    REQUIRE_FALSE(result);
    CHECK(is_not_found(result.error()));
    CHECK(what(result).starts_with("failed to pull image \"postgres:16\": the pull ended without an error but the "
                                   "image is not present: No such image"));
    CHECK(methods(puller) == inspect_pull_inspect);
  }
  SUBCASE("an id-less image after the pull fails too") {
    puller.inspect = [&puller](const reference& ref) -> expected<image_info, error> {
      if (puller.count("image_pull") == 0) return missing()(ref);
      return image_info{};
    };
    CHECK_FALSE(pull_image(puller, "postgres:16"));
  }
  SUBCASE("off: the pull's own success is taken") {
    const auto result = pull_image(puller, "postgres:16", {.verify = false});
    REQUIRE(result);
    CHECK(result->pulled);
    CHECK(result->image.id.empty());
    CHECK(methods(puller) == inspect_pull);
  }
}

TEST_CASE("a stream cut short is a failed pull") {
  fake_puller puller;
  puller.inspect = missing_until_pulled(puller);
  puller.pull = streams({ok_stream.substr(0, ok_stream.size() - 5)});
  const auto result = pull_image(puller, "postgres:16");
  REQUIRE_FALSE(result);
  CHECK(is_data_loss(result.error()));
  CHECK(what(result).starts_with("failed to pull image \"postgres:16\": pull stream ended in the middle of line 11"));
}

TEST_CASE("a stream error stops the transfer and wins over the puller's own result") {
  fake_puller puller;
  puller.inspect = missing();
  bool stop_seen = false;
  puller.pull = [&](const reference&, const pull_options& options, const chunk_sink& sink) -> expected<void, error> {
    sink(samples::docker_corrupt_layer);
    stop_seen = options.stop.stop_requested();
    return unexpected(error(errc::canceled, "transfer aborted"));
  };
  const auto result = pull_image(puller, "postgres:16");
  REQUIRE_FALSE(result);
  CHECK(stop_seen);
  CHECK(what(result) == "failed to pull image \"postgres:16\": filesystem layer verification failed for digest sha256:0b1f");
  CHECK(resolve(result.error()) == errc::data_loss);
}

TEST_CASE("the caller's stop token reaches the puller") {
  std::stop_source caller;
  fake_puller puller;
  puller.inspect = missing();
  puller.pull = [&](const reference&, const pull_options& options, const chunk_sink&) -> expected<void, error> {
    CHECK_FALSE(options.stop.stop_requested());
    caller.request_stop();  // as if another thread cancelled now
    CHECK(options.stop.stop_requested());
    return unexpected(error(errc::canceled, "pull canceled"));
  };
  pull_image_options options;
  options.request.stop = caller.get_token();
  const auto result = pull_image(puller, "postgres:16", options);
  REQUIRE_FALSE(result);
  CHECK(is_canceled(result.error()));
}

TEST_CASE("a pull cancelled before it starts sends nothing") {
  std::stop_source caller;
  caller.request_stop();
  fake_puller puller;
  pull_image_options options;
  options.request.stop = caller.get_token();
  const auto result = pull_image(puller, "postgres:16", options);
  REQUIRE_FALSE(result);
  CHECK(is_canceled(result.error()));
  CHECK(puller.calls.empty());
}

TEST_CASE("the platform reaches the puller") {
  fake_puller puller;
  puller.inspect = missing_until_pulled(puller);
  puller.pull = streams({ok_stream});
  pull_image_options options;
  options.request.platform = "linux/arm64/v8";
  REQUIRE(pull_image(puller, "postgres:16", options));
  CHECK(puller.calls[1].platform == "linux/arm64/v8");
}

TEST_CASE("the progress policy sees every message but the error; plain prints Docker's non-terminal lines") {
  fake_puller puller;
  puller.inspect = missing_until_pulled(puller);
  const std::string aux = "{\"aux\":{\"Digest\":\"sha256:1\"}}\n";
  puller.pull = streams({ok_stream, aux});
  std::ostringstream out;
  REQUIRE(pull_image(puller, "postgres:16", {}, progress::plain(out)));
  CHECK(out.str() ==
        "1: Pulling from multi\n"
        "a3ed95caeb02: Pulling fs layer\n"
        "9d48c3bd43c5: Pulling fs layer\n"
        "a3ed95caeb02: Verifying Checksum\n"
        "a3ed95caeb02: Download complete\n"
        "a3ed95caeb02: Pull complete\n"
        "9d48c3bd43c5: Pull complete\n"
        "Digest: sha256:5f0e8f8d0b0e4e3c9a1e0d2c3b4a59687766554433221100ffeeddccbbaa9988\n"
        "Status: Downloaded newer image for localhost:5000/multi:1\n");

  struct recorder {
    std::vector<json_message>* seen;
    void on_message(const json_message& m) { seen->push_back(m); }
  };
  std::vector<json_message> seen;
  fake_puller failing;
  failing.inspect = missing();
  failing.pull = streams({aux + samples::docker_corrupt_layer});
  CHECK_FALSE(pull_image(failing, "postgres:16", {}, recorder{&seen}));
  REQUIRE(seen.size() == 4);
  CHECK(seen[0].aux == R"({"Digest":"sha256:1"})");
  CHECK(seen[3].status == "Downloading");
}

TEST_CASE("an unset fake behaviour fails loudly") {
  fake_puller puller;
  const auto result = pull_image(puller, "postgres:16");
  REQUIRE_FALSE(result);
  CHECK(is_not_implemented(result.error()));
  CHECK(what(result) == "failed to inspect image \"postgres:16\": fake_puller.inspect is not set");
}

TEST_CASE("platforms are normalized as containerd does, and matched") {
  CHECK(parse_platform("linux/amd64") == platform{"linux", "amd64", ""});
  CHECK(parse_platform("Linux/x86_64") == platform{"linux", "amd64", ""});
  CHECK(parse_platform("linux/aarch64") == platform{"linux", "arm64", ""});
  CHECK(parse_platform("linux/arm64/v8") == platform{"linux", "arm64", ""});
  CHECK(parse_platform("linux/armhf") == platform{"linux", "arm", "v7"});
  CHECK(parse_platform("linux/arm/7") == platform{"linux", "arm", "v7"});
  CHECK(parse_platform("linux") == platform{"linux", "", ""});
  CHECK(to_string(parse_platform("linux/arm/v6")) == "linux/arm/v6");

  const image_info amd64{.id = "sha256:1", .os = "linux", .architecture = "amd64"};
  const image_info armv7{.id = "sha256:2", .os = "linux", .architecture = "arm", .variant = "v7"};
  CHECK(serves(amd64, parse_platform("linux/amd64")));
  CHECK(serves(amd64, parse_platform("linux/x86_64")));
  CHECK_FALSE(serves(amd64, parse_platform("linux/arm64")));
  CHECK_FALSE(serves(amd64, parse_platform("windows/amd64")));
  CHECK(serves(armv7, parse_platform("linux/arm")));
  CHECK_FALSE(serves(armv7, parse_platform("linux/arm/v6")));
  CHECK(serves(image_info{.id = "sha256:3"}, parse_platform("linux/arm64")));  // says nothing: taken as is
}

TEST_CASE("an image present for another platform is pulled, and must be right afterwards") {
  const image_info amd64{.id = "sha256:amd", .os = "linux", .architecture = "amd64"};
  const image_info arm64{.id = "sha256:arm", .os = "linux", .architecture = "arm64"};
  pull_image_options options;
  options.request.platform = "linux/arm64";
  fake_puller puller;
  puller.pull = streams({ok_stream});

  SUBCASE("present for amd64, arm64 asked: pulled") {
    puller.inspect = [&](const reference&) -> expected<image_info, error> {
      return puller.count("image_pull") == 0 ? amd64 : arm64;
    };
    const auto result = pull_image(puller, "postgres:16", options);
    REQUIRE(result);
    CHECK(result->pulled);
    CHECK(result->image.id == "sha256:arm");
  }
  SUBCASE("the daemon keeps the wrong one: an error, never a success") {
    puller.inspect = [&](const reference&) -> expected<image_info, error> { return amd64; };
    const auto result = pull_image(puller, "postgres:16", options);
    REQUIRE_FALSE(result);
    CHECK(is_not_found(result.error()));
    CHECK(what(result) == "failed to pull image \"postgres:16\": the pull ended without an error but the image is "
                          "not present: the image there is for linux/amd64, not for linux/arm64");
  }
  SUBCASE("policy never: not present for that platform") {
    puller.inspect = [&](const reference&) -> expected<image_info, error> { return amd64; };
    options.policy = pull_policy::never;
    const auto result = pull_image(puller, "postgres:16", options);
    REQUIRE_FALSE(result);
    CHECK(is_not_found(result.error()));
    CHECK(puller.count("image_pull") == 0);
  }
  SUBCASE("no platform asked: whatever is there is fine") {
    puller.inspect = [&](const reference&) -> expected<image_info, error> { return amd64; };
    CHECK(pull_image(puller, "postgres:16"));
  }
}

TEST_CASE("no exception escapes pull_image") {
  struct throwing_progress {
    void on_message(const json_message&) { throw std::runtime_error("boom"); }
  };
  fake_puller puller;
  puller.inspect = missing();
  puller.pull = streams({ok_stream});
  const auto result = pull_image(puller, "postgres:16", {}, throwing_progress{});
  REQUIRE_FALSE(result);
  CHECK(is_internal(result.error()));
  CHECK(what(result) == "failed to pull image \"postgres:16\": unexpected exception: boom");

  fake_puller throwing;
  throwing.inspect = [](const reference&) -> expected<image_info, error> { throw std::bad_alloc(); };
  const auto thrown = pull_image(throwing, "postgres:16");
  REQUIRE_FALSE(thrown);
  CHECK(is_internal(thrown.error()));
}

namespace {
// A puller that can be cancelled while it inspects, as docker::client can.
struct cancellable_inspect {
  std::vector<bool> stop_possible;
  expected<image_info, error> image_inspect(const reference&) { return unexpected(error(errc::internal, "not this one")); }
  expected<image_info, error> image_inspect(const reference&, const std::stop_token& stop) {
    stop_possible.push_back(stop.stop_possible());
    return image_info{.id = "sha256:1"};
  }
  expected<void, error> image_pull(const reference&, const pull_options&, const chunk_sink&) { return {}; }
};
static_assert(ImagePuller<cancellable_inspect>);
}  // namespace

TEST_CASE("a puller that can be cancelled while it inspects gets the caller's stop token") {
  std::stop_source caller;
  cancellable_inspect puller;
  pull_image_options options;
  options.request.stop = caller.get_token();
  REQUIRE(pull_image(puller, "postgres:16", options));
  CHECK(puller.stop_possible == std::vector<bool>{true});
}
