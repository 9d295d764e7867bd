#include "imagepull/daemon_error.hpp"
#include "imagepull/error.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <string>
#include <vector>

using namespace imagepull;

namespace {
constexpr errc all_conditions[] = {
#define IMAGEPULL_TEST_ERRC(name) errc::name,
    IMAGEPULL_ERRC_LIST(IMAGEPULL_TEST_ERRC)
#undef IMAGEPULL_TEST_ERRC
};
}  // namespace

TEST_CASE("errc names and messages") {
  CHECK(to_string(errc::not_found) == "not_found");
  CHECK(to_string(errc::deadline_exceeded) == "deadline_exceeded");
  CHECK(to_string(errc::unknown) == "unknown");
  CHECK(make_error_condition(errc::not_found).message() == "not found");
  CHECK(make_error_condition(errc::failed_precondition).message() == "failed precondition");
  CHECK(std::size(all_conditions) == 18);
  CHECK(fmt::format("{}", errc::unauthorized) == "unauthorized");
}

TEST_CASE("HTTP statuses compare equal to their conditions") {
  const std::pair<int, errc> table[] = {
      {304, errc::not_modified},      {400, errc::invalid_argument},   {401, errc::unauthorized},
      {403, errc::permission_denied}, {404, errc::not_found},          {409, errc::conflict},
      {412, errc::failed_precondition}, {429, errc::resource_exhausted}, {500, errc::internal},
      {501, errc::not_implemented},   {503, errc::unavailable},        {418, errc::unknown},
      {200, errc::unknown},           {502, errc::unknown},
  };
  for (const auto& [status, meaning] : table) {
    CAPTURE(status);
    const auto code = http_error_code(status);
    CHECK(code == meaning);
    CHECK(condition_of(code) == meaning);
    for (const auto other : all_conditions)
      if (other != meaning) CHECK(code != other);
  }
  CHECK(http_error_code(404).message() == "HTTP status 404");
}

TEST_CASE("registry error codes compare equal to their conditions") {
  const std::tuple<std::string_view, registry_errc, errc> table[] = {
      {"BLOB_UNKNOWN", registry_errc::blob_unknown, errc::not_found},
      {"BLOB_UPLOAD_INVALID", registry_errc::blob_upload_invalid, errc::invalid_argument},
      {"BLOB_UPLOAD_UNKNOWN", registry_errc::blob_upload_unknown, errc::not_found},
      {"DIGEST_INVALID", registry_errc::digest_invalid, errc::invalid_argument},
      {"MANIFEST_BLOB_UNKNOWN", registry_errc::manifest_blob_unknown, errc::not_found},
      {"MANIFEST_INVALID", registry_errc::manifest_invalid, errc::invalid_argument},
      {"MANIFEST_UNKNOWN", registry_errc::manifest_unknown, errc::not_found},
      {"MANIFEST_UNVERIFIED", registry_errc::manifest_unverified, errc::invalid_argument},
      {"NAME_INVALID", registry_errc::name_invalid, errc::invalid_argument},
      {"NAME_UNKNOWN", registry_errc::name_unknown, errc::not_found},
      {"SIZE_INVALID", registry_errc::size_invalid, errc::invalid_argument},
      {"TAG_INVALID", registry_errc::tag_invalid, errc::invalid_argument},
      {"UNAUTHORIZED", registry_errc::unauthorized, errc::unauthorized},
      {"DENIED", registry_errc::denied, errc::permission_denied},
      {"UNSUPPORTED", registry_errc::unsupported, errc::not_implemented},
      {"TOOMANYREQUESTS", registry_errc::toomanyrequests, errc::resource_exhausted},
  };
  for (const auto& [name, code, meaning] : table) {
    CAPTURE(name);
    CHECK(parse_registry_errc(name) == code);
    CHECK(std::error_code(code) == meaning);
    CHECK(std::error_code(code).message() == name);
  }
  CHECK_FALSE(parse_registry_errc("manifest_unknown").has_value());
  CHECK_FALSE(parse_registry_errc("").has_value());
  CHECK(std::error_code(99, registry_category()) == errc::unknown);
}

TEST_CASE("system error codes compare equal where their meaning is clear") {
  const std::pair<int, errc> table[] = {
      {ECONNREFUSED, errc::unavailable}, {EACCES, errc::permission_denied}, {EPERM, errc::permission_denied},
      {ETIMEDOUT, errc::deadline_exceeded}, {ECANCELED, errc::canceled},
  };
  for (const auto& [value, meaning] : table) {
    CAPTURE(value);
    CHECK(std::error_code(value, std::system_category()) == meaning);
    CHECK(std::error_code(value, std::generic_category()) == meaning);
    CHECK(std::make_error_code(static_cast<std::errc>(value)) == meaning);
  }
  // A missing file or socket must never read as a missing image: that would trigger a pull.
  CHECK_FALSE(std::error_code(ENOENT, std::system_category()) == errc::not_found);
  const std::error_code io(EIO, std::system_category());
  for (const auto c : all_conditions) CHECK(io != c);
  CHECK_FALSE(condition_of(io).has_value());
  CHECK_FALSE(condition_of(std::error_code{}).has_value());
}

TEST_CASE("an error reads like Go's: outer: middle: root") {
  const error root(http_error_code(404), "No such image: postgres:16");
  const auto middle = wrap(root, "failed to inspect image \"{}\"", "postgres:16");
  const auto outer = wrap(middle, "failed to prepare dump image \"{}\"", "postgres:16");
  CHECK(outer.what() ==
        "failed to prepare dump image \"postgres:16\": failed to inspect image \"postgres:16\": No such image: postgres:16");
  CHECK(fmt::format("{}", outer) == outer.what());
  CHECK(outer.message() == "failed to prepare dump image \"postgres:16\"");
  CHECK_FALSE(outer.code());
  REQUIRE(outer.causes().size() == 1);
  CHECK(outer.causes()[0].message() == middle.message());
  CHECK(root.causes().empty());
}

TEST_CASE("an error records where each link was made") {
  const int line = __LINE__ + 1;
  const error root(errc::internal, "boom");
  const auto wrapped = wrap(root, "context");
  CHECK(root.where().line() == static_cast<unsigned>(line));
  CHECK(wrapped.where().line() == static_cast<unsigned>(line + 1));
  CHECK(std::string_view(root.where().file_name()).ends_with("error_test.cpp"));
  const auto made = make_error(http_error_code(503), "daemon {} is down", "d1");
  CHECK(made.what() == "daemon d1 is down");
  CHECK(made.where().line() == static_cast<unsigned>(line + 5));
  const auto joined = join(root, made);
  CHECK(joined.where().line() == static_cast<unsigned>(line + 8));
  CHECK(std::string_view(joined.where().file_name()).ends_with("error_test.cpp"));
}

TEST_CASE("copies share their links and nothing changes them") {
  const error a(errc::conflict, "in use");
  error b = a;
  CHECK(&a.message() == &b.message());
  b = wrap(b, "outer");
  CHECK(a.what() == "in use");
  CHECK(b.what() == "outer: in use");
}

TEST_CASE("is_not_found walks the whole chain") {
  const error daemon_down(std::error_code(ECONNREFUSED, std::system_category()), "dial unix /var/run/docker.sock");
  CHECK_FALSE(is_not_found(daemon_down));
  CHECK(is_unavailable(daemon_down));

  SUBCASE("wrapped ten deep") {
    error e(http_error_code(404), "No such image");
    for (int i = 0; i < 10; ++i) e = wrap(e, "layer {}", i);
    CHECK(is_not_found(e));
    CHECK(resolve(e) == errc::not_found);
    CHECK_FALSE(is_unavailable(e));
  }
  SUBCASE("joined with other errors") {
    const auto e = wrap(join(daemon_down, wrap(error(errc::not_found, "gone"), "ctx")), "outer");
    CHECK(is_not_found(e));
    CHECK(is_unavailable(e));
    CHECK(e.what() == "outer: dial unix /var/run/docker.sock; ctx: gone");
  }
  SUBCASE("as an HTTP 404 code") { CHECK(is_not_found(error(http_error_code(404), "x"))); }
  SUBCASE("as a registry MANIFEST_UNKNOWN code") {
    CHECK(is_not_found(wrap(error(registry_errc::manifest_unknown, "manifest unknown"), "pull")));
  }
  SUBCASE("a chain far deeper than any stack") {
    error e(errc::not_found, "root");
    for (int i = 0; i < 200000; ++i) e = wrap(e, "w");
    CHECK(is_not_found(e));
    CHECK(e.what().size() == 4 + 200000 * 3);
  }
}

TEST_CASE("one predicate per condition, true only for its own") {
  using predicate = bool (*)(const error&);
  const std::pair<errc, predicate> table[] = {
#define IMAGEPULL_TEST_PREDICATE(name) {errc::name, &is_##name},
      IMAGEPULL_ERRC_LIST(IMAGEPULL_TEST_PREDICATE)
#undef IMAGEPULL_TEST_PREDICATE
  };
  for (const auto& [condition, is_condition] : table) {
    const auto e = wrap(error(condition, "root"), "outer");
    for (const auto& [other, is_other] : table) {
      CAPTURE(to_string(condition));
      CAPTURE(to_string(other));
      CHECK(is_other(e) == (other == condition));
    }
  }
}

TEST_CASE("is with an exact code") {
  const auto e = wrap(error(http_error_code(404), "x"), "y");
  CHECK(is(e, http_error_code(404)));
  CHECK_FALSE(is(e, http_error_code(410)));
  CHECK_FALSE(is(e, to_error_code(errc::not_found)));
}

TEST_CASE("resolve gives the first meaning found, pre-order") {
  CHECK(resolve(error(std::error_code(EIO, std::system_category()), "io")) == errc::unknown);
  CHECK(resolve(wrap(error(errc::unauthorized, "a"), to_error_code(errc::unknown), "b")) == errc::unauthorized);
  CHECK(resolve(join(error(errc::unavailable, "a"), error(errc::not_found, "b"))) == errc::unavailable);
  CHECK(resolve(join(error(http_error_code(418), "a"), error(errc::not_found, "b"))) == errc::not_found);
  CHECK(resolve(wrap(error(errc::not_found, "inner"), to_error_code(errc::canceled), "outer")) == errc::canceled);
}

TEST_CASE("visit_links is depth-first, pre-order, with depths") {
  const auto tree = wrap(join(wrap(error(errc::internal, "a1"), "a"), error(errc::internal, "b")), "top");
  std::vector<std::string> seen;
  visit_links(tree, [&](const error& link, std::size_t depth) {
    seen.push_back(fmt::format("{}{}", depth, link.message()));
    return false;
  });
  CHECK(seen == std::vector<std::string>{"0top", "1", "2a", "3a1", "2b"});
}

TEST_CASE("to_json gives one object per link") {
  const auto e = wrap(error(registry_errc::manifest_unknown, "manifest unknown"), "failed to pull image \"{}\"", "x");
  const nlohmann::json json = e;
  REQUIRE(json.is_array());
  REQUIRE(json.size() == 2);
  CHECK(json[0]["message"] == "failed to pull image \"x\"");
  CHECK(json[0]["depth"] == 0);
  CHECK_FALSE(json[0].contains("code"));
  CHECK(json[1]["category"] == "registry");
  CHECK(json[1]["code"] == 7);
  CHECK(json[1]["condition"] == "not_found");
  CHECK(json[1]["message"] == "manifest unknown");
  CHECK(json[1]["where"].get<std::string>().find("error_test.cpp:") != std::string::npos);
}

TEST_CASE("daemon messages are classified by their wording and their status") {
  SUBCASE("Docker's 500 for a refused login is unauthorized") {
    const auto e = daemon_error(500, "unauthorized: authentication required");
    CHECK(e.what() == "unauthorized: authentication required");
    CHECK(resolve(e) == errc::unauthorized);
    CHECK(is_internal(e));
  }
  SUBCASE("no credentials at all") {
    CHECK(resolve(daemon_error(500, "Head \"http://localhost:5000/v2/x/manifests/1\": no basic auth credentials")) ==
          errc::unauthorized);
  }
  SUBCASE("Docker's 404 for a missing tag") {
    const auto e = daemon_error(404, "manifest for localhost:5000/x:2 not found: manifest unknown: manifest unknown");
    CHECK(is(e, std::error_code(registry_errc::manifest_unknown)));
    CHECK(is(e, http_error_code(404)));
  }
  SUBCASE("Podman's stream error for a missing tag, without a status") {
    CHECK(resolve(daemon_error(0, "reading manifest 2 in localhost:5000/x: manifest unknown")) == errc::not_found);
  }
  SUBCASE("registry down") {
    CHECK(resolve(daemon_error(500, "Get \"http://localhost:1/v2/\": dial tcp 127.0.0.1:1: connect: connection refused")) ==
          errc::unavailable);
  }
  SUBCASE("a corrupted layer") {
    CHECK(resolve(daemon_error(0, "filesystem layer verification failed for digest sha256:ab")) == errc::data_loss);
  }
  SUBCASE("other registry words") {
    CHECK(resolve(daemon_error(0, "denied: requested access to the resource is denied")) == errc::permission_denied);
    CHECK(resolve(daemon_error(0, "toomanyrequests: slow down")) == errc::resource_exhausted);
    CHECK(resolve(daemon_error(0, "MANIFEST UNKNOWN")) == errc::not_found);
  }
  SUBCASE("nothing recognisable") {
    const auto e = daemon_error(0, "something odd");
    CHECK(resolve(e) == errc::unknown);
    CHECK(e.what() == "something odd");
    CHECK(resolve(daemon_error(418, "teapot")) == errc::unknown);
    CHECK(resolve(daemon_error(503, "busy")) == errc::unavailable);
  }
}
