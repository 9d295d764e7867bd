// Credentials: config keys, the X-Registry-Auth encoding, the config file, and real credential
// helper programs (small shell scripts put first on PATH).
//
// No secret may reach the test output either: secrets are compared through functions that
// return bool (doctest would print both sides of a decomposed `==`), and an error's text is
// printed only after it has been checked to hold none.
#include "imagepull/docker/auth.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using imagepull::registry_auth;
using imagepull::docker::credential_store;

const std::string secret = "s3cr3t-Pa55w0rd";
const std::string token = "identity-t0ken-s3cr3t";

// Decodes base64url with padding, strictly: the test's own decoder, not the library's.
std::optional<std::string> decode_base64url(std::string_view text) {
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    unsigned bits = 0;
    int pad = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      unsigned value = 0;
      if (c == '=') {
        if (i + 4 != text.size() || j < 2) return std::nullopt;
        ++pad;
      } else {
        if (pad > 0) return std::nullopt;
        const auto pos = alphabet.find(c);
        if (pos == std::string_view::npos) return std::nullopt;
        value = static_cast<unsigned>(pos);
      }
      bits = bits << 6 | value;
    }
    out += static_cast<char>(bits >> 16 & 0xff);
    if (pad < 2) out += static_cast<char>(bits >> 8 & 0xff);
    if (pad < 1) out += static_cast<char>(bits & 0xff);
  }
  return out;
}

std::string base64(std::string_view data) {
  return imagepull::detail::base64_encode(data, imagepull::detail::base64_standard);
}

// bool results, so that a failing check prints no secret.
bool same(const std::string& a, const std::string& b) { return a == b; }
bool holds(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

bool holds_any_secret(std::string_view text) {
  for (const std::string& s : {secret, token, base64("alice:" + secret), base64(secret), std::string{"Pa55w0rd"}})
    if (holds(text, s)) return true;
  return false;
}

// Checks an error's text for secrets before anything prints it.
void check_error(const imagepull::error& err, bool (*category)(const imagepull::error&), std::string_view fragment) {
  const auto text = err.what();
  const auto json = nlohmann::json(err).dump();
  if (holds_any_secret(text) || holds_any_secret(json)) {
    FAIL("the error's text holds a secret (not printed)");
    return;
  }
  INFO("error: ", text);
  CHECK(category(err));
  CHECK(holds(text, fragment));
}

class temp_dir {
public:
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "imagepull-auth-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

  fs::path write(const std::string& name, std::string_view content) const {
    const auto file = path_ / name;
    std::ofstream{file, std::ios::binary} << content;
    return file;
  }

private:
  fs::path path_;
};

// Sets an environment variable (nullptr: unsets it) for one scope.
class scoped_env {
public:
  scoped_env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;
  ~scoped_env() {
    if (old_)
      ::setenv(name_.c_str(), old_->c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }

private:
  std::string name_;
  std::optional<std::string> old_;
};

// A directory of docker-credential-<name> scripts, first on PATH while it lives.
class helpers {
public:
  helpers() : path_("PATH", (dir_.path().string() + ":" + current_path()).c_str()) {}

  void add(const std::string& name, const std::string& body, fs::perms perms = fs::perms::owner_all) const {
    const auto file = dir_.write("docker-credential-" + name, "#!/bin/sh\n" + body + "\n");
    fs::permissions(file, perms);
  }

  const temp_dir& dir() const { return dir_; }

private:
  static std::string current_path() {
    const char* path = std::getenv("PATH");
    return path != nullptr ? path : "/usr/bin:/bin";
  }
  temp_dir dir_;
  scoped_env path_;
};

// A valid answer; the username repeats the server URL the helper read on stdin.
std::string answer_script(std::string_view username = "user-for-$url") {
  return fmt::format(
      "[ \"$1\" = get ] || exit 2\n"
      "url=$(cat)\n"
      "printf '{{\"ServerURL\":\"%s\",\"Username\":\"%s\",\"Secret\":\"%s\"}}\\n' \"$url\" \"{}\" '{}'",
      username, secret);
}

credential_store load_config(const temp_dir& dir, std::string_view json,
                             std::chrono::milliseconds timeout = imagepull::docker::default_helper_timeout) {
  auto store = credential_store::load(dir.write("config.json", json), timeout);
  REQUIRE(store.has_value());
  return *store;
}

std::size_t open_fds() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd")) ++count;
  return count;
}

bool no_children_left() {
  int status = 0;
  return ::waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD;
}

}  // namespace

TEST_CASE("config_key_for maps Docker Hub's names to its legacy key and keeps the rest") {
  using imagepull::docker::config_key_for;
  for (const char* hub : {"docker.io", "index.docker.io", "registry-1.docker.io", "Docker.IO"})
    CHECK(config_key_for(hub) == "https://index.docker.io/v1/");
  CHECK(config_key_for("localhost:5000") == "localhost:5000");
  CHECK(config_key_for("quay.io") == "quay.io");
  CHECK(config_key_for("[::1]:5000") == "[::1]:5000");
  CHECK(config_key_for("docker.io.example.com") == "docker.io.example.com");
  CHECK(config_key_for(imagepull::reference::parse("postgres:16")->domain()) == "https://index.docker.io/v1/");
}

TEST_CASE("encode_registry_auth is base64url, padded, of the auth config JSON") {
  using imagepull::docker::encode_registry_auth;

  SUBCASE("a known value, as Go's base64.URLEncoding gives it") {
    CHECK(encode_registry_auth(registry_auth{.username = "u"}) == "eyJ1c2VybmFtZSI6InUifQ==");
    // '?' and '>' put '/' and '+' in the standard alphabet: here they must be '_' and '-'.
    CHECK(encode_registry_auth(registry_auth{.password = "a?\?\?>>>"}) == "eyJwYXNzd29yZCI6ImE_Pz8-Pj4ifQ==");
    CHECK(encode_registry_auth(registry_auth{}) == "e30=");  // {}
  }

  SUBCASE("decodes back to the same fields, empty ones left out") {
    const registry_auth full{.username = "alice",
                             .password = secret,
                             .server_address = "localhost:5000",
                             .identity_token = token,
                             .registry_token = "bearer"};
    const registry_auth token_only{.server_address = "https://index.docker.io/v1/", .identity_token = token};
    const nlohmann::json want_full = {{"username", "alice"},
                                      {"password", secret},
                                      {"serveraddress", "localhost:5000"},
                                      {"identitytoken", token},
                                      {"registrytoken", "bearer"}};
    const nlohmann::json want_token = {{"serveraddress", "https://index.docker.io/v1/"}, {"identitytoken", token}};
    for (const auto& [auth, want] : {std::pair{full, want_full}, std::pair{token_only, want_token}}) {
      const auto encoded = encode_registry_auth(auth);
      CHECK(encoded.size() % 4 == 0);
      CHECK(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=") ==
            std::string::npos);
      const auto decoded = decode_base64url(encoded);
      REQUIRE(decoded.has_value());
      CHECK((nlohmann::json::parse(*decoded) == want));
    }
  }

  SUBCASE("every length of padding, and characters JSON must escape") {
    for (const std::string password : {"p", "pp", "ppp", "a\"b\\c\nd", "caf\xc3\xa9"}) {
      const auto decoded = decode_base64url(encode_registry_auth(registry_auth{.password = password}));
      REQUIRE(decoded.has_value());
      CHECK(same(nlohmann::json::parse(*decoded).at("password").get<std::string>(), password));
    }
  }

  SUBCASE("invalid UTF-8 is replaced, as Go does, instead of throwing") {
    const auto decoded = decode_base64url(encode_registry_auth(registry_auth{.password = "a\xff"}));
    REQUIRE(decoded.has_value());
    CHECK(nlohmann::json::parse(*decoded).at("password") == "a\xef\xbf\xbd");
  }
}

TEST_CASE("registry_auth formats with its secrets redacted") {
  const registry_auth auth{.username = "alice",
                           .password = secret,
                           .server_address = "localhost:5000",
                           .identity_token = token,
                           .registry_token = "rt-" + secret};
  const auto text = fmt::format("{}", auth);
  CHECK_FALSE(holds_any_secret(text));
  CHECK(text == R"(registry_auth{user="alice", server="localhost:5000", secret=<redacted>})");
  CHECK(fmt::format("{}", registry_auth{.identity_token = token}) ==
        R"(registry_auth{user="", server="", secret=<redacted>})");
  CHECK(fmt::format("{}", registry_auth{.username = "bob"}) ==
        R"(registry_auth{user="bob", server="", secret=<none>})");
}

TEST_CASE("a missing or empty config file is an empty store") {
  const temp_dir dir;
  for (const auto& file : {dir.path() / "config.json", dir.path() / "no" / "such" / "config.json"}) {
    auto store = credential_store::load(file);
    REQUIRE(store.has_value());
    const auto found = store->lookup("docker.io");
    REQUIRE(found.has_value());
    CHECK_FALSE(found->has_value());
  }
  for (const char* content : {"", "  \n\t"}) {
    auto store = credential_store::load(dir.write("config.json", content));
    REQUIRE(store.has_value());
    CHECK_FALSE(store->lookup("localhost:5000")->has_value());
  }
  CHECK_FALSE(credential_store{}.lookup("docker.io")->has_value());
}

TEST_CASE("a malformed config file is invalid_argument, names the file and quotes none of it") {
  const temp_dir dir;
  const std::string auth_secret = base64("alice:" + secret);
  const std::vector<std::string> contents = {
      "{\"auths\": {\"localhost:5000\": {\"auth\": \"" + auth_secret + "\"",  // cut short
      "{\"auths\": {\"localhost:5000\": {\"password\": " + secret + "}}}",    // unquoted
      "[\"" + secret + "\"]",
      "\"" + secret + "\"",
      "{\"auths\": [\"" + secret + "\"]}",
      "{\"auths\": {\"localhost:5000\": \"" + auth_secret + "\"}}",
      "{\"auths\": {\"localhost:5000\": {\"auth\": 42, \"password\": \"" + secret + "\"}}}",
      "{\"auths\": {\"localhost:5000\": {\"auth\": \"!" + secret + "!\"}}}",              // not base64
      "{\"auths\": {\"localhost:5000\": {\"auth\": \"" + base64(secret) + "\"}}}",        // no ':'
      "{\"auths\": {\"localhost:5000\": {\"auth\": \"" + base64(":" + secret) + "\"}}}",  // no user
      "{\"auths\": {\"localhost:5000\": {\"identitytoken\": [\"" + token + "\"]}}}",
      "{\"credHelpers\": {\"localhost:5000\": 7}, \"x\": \"" + secret + "\"}",
      "{\"credsStore\": {\"name\": \"" + secret + "\"}}",
      "{\"auths\": {\"localhost:5000\": {\"password\": \"" + secret + "\xff\"}}}",  // invalid UTF-8
  };
  for (const auto& content : contents) {
    const auto file = dir.write("config.json", content);
    const auto store = credential_store::load(file);
    REQUIRE_FALSE(store.has_value());
    check_error(store.error(), imagepull::is_invalid_argument, file.string());
    CHECK(holds(store.error().what(), "malformed"));
  }
}

TEST_CASE("an unreadable config file keeps its errno meaning") {
  const temp_dir dir;
  const auto store = credential_store::load(dir.path());  // a directory
  REQUIRE_FALSE(store.has_value());
  CHECK(holds(store.error().what(), dir.path().string()));
  CHECK(imagepull::is(store.error(), std::error_code(EISDIR, std::generic_category())));
}

TEST_CASE("auths entries: base64 user:pass, username/password, identity tokens") {
  const temp_dir dir;
  const auto store = load_config(dir, R"({
    "auths": {
      "https://index.docker.io/v1/": {"auth": ")" +
                                          base64("alice:" + secret) + R"("},
      "localhost:5000": {"auth": ")" + base64("bob:pa:ss:" + secret) +
                                          R"(", "username": "ignored", "password": "ignored"},
      "plain.example.com": {"username": "carol", "password": ")" +
                                          secret + R"("},
      "token.example.com": {"auth": ")" + base64("dave:") +
                                          R"(", "identitytoken": ")" + token + R"("},
      "https://legacy.example.com/v1/": {"auth": ")" +
                                          base64("erin:" + secret) + R"("},
      "empty.example.com": {},
      "null.example.com": null
    },
    "HttpHeaders": {"User-Agent": "x"}
  })");

  SUBCASE("Docker Hub under https://index.docker.io/v1/, for each of its names") {
    for (const char* domain : {"docker.io", "index.docker.io", "registry-1.docker.io"}) {
      const auto found = store.lookup(domain);
      REQUIRE(found.has_value());
      REQUIRE(found->has_value());
      CHECK((*found)->username == "alice");
      CHECK(same((*found)->password, secret));
      CHECK((*found)->server_address == "https://index.docker.io/v1/");
    }
  }
  SUBCASE("a password holding ':' is split at the first one; auth wins over username/password") {
    const auto found = store.lookup("localhost:5000");
    REQUIRE(found.has_value());
    REQUIRE(found->has_value());
    CHECK((*found)->username == "bob");
    CHECK(same((*found)->password, "pa:ss:" + secret));
    CHECK((*found)->server_address == "localhost:5000");
  }
  SUBCASE("username and password fields") {
    const auto found = store.lookup("plain.example.com");
    REQUIRE(found.has_value());
    REQUIRE(found->has_value());
    CHECK((*found)->username == "carol");
    CHECK(same((*found)->password, secret));
  }
  SUBCASE("an identity token") {
    const auto found = store.lookup("token.example.com");
    REQUIRE(found.has_value());
    REQUIRE(found->has_value());
    CHECK((*found)->username == "dave");
    CHECK((*found)->password.empty());
    CHECK(same((*found)->identity_token, token));
  }
  SUBCASE("a legacy key with scheme and path matches its host, as Docker's ConvertToHostname does") {
    const auto found = store.lookup("legacy.example.com");
    REQUIRE(found.has_value());
    REQUIRE(found->has_value());
    CHECK((*found)->username == "erin");
    CHECK((*found)->server_address == "legacy.example.com");
  }
  SUBCASE("entries without credentials, and registries without entries, have none") {
    for (const char* domain : {"empty.example.com", "null.example.com", "quay.io", "localhost:5001"}) {
      const auto found = store.lookup(domain);
      REQUIRE(found.has_value());
      CHECK_FALSE(found->has_value());
    }
  }
}

TEST_CASE("config keys match case-insensitively, as Go's encoding/json does") {
  const temp_dir dir;
  const auto store = load_config(dir, R"({"Auths": {"localhost:5000": {"Username": "u", "PASSWORD": "p"}}})");
  const auto found = store.lookup("localhost:5000");
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  CHECK((*found)->username == "u");
  CHECK((*found)->password == "p");
}

TEST_CASE("load_default reads $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json") {
  const temp_dir dir;
  fs::create_directories(dir.path() / "home" / ".docker");
  fs::create_directories(dir.path() / "cfg");
  dir.write("home/.docker/config.json", R"({"auths": {"localhost:5000": {"username": "from-home", "password": "p"}}})");
  dir.write("cfg/config.json", R"({"auths": {"localhost:5000": {"username": "from-docker-config", "password": "p"}}})");
  const scoped_env home("HOME", (dir.path() / "home").c_str());
  const auto user = [] {
    auto store = credential_store::load_default();
    REQUIRE(store.has_value());
    auto found = store->lookup("localhost:5000");
    REQUIRE(found.has_value());
    REQUIRE(found->has_value());
    return (*found)->username;
  };
  {
    const scoped_env config("DOCKER_CONFIG", (dir.path() / "cfg").c_str());
    CHECK(user() == "from-docker-config");
  }
  {
    const scoped_env config("DOCKER_CONFIG", nullptr);
    CHECK(user() == "from-home");
  }
  {
    const scoped_env config("DOCKER_CONFIG", "");  // empty counts as unset, as in the Docker CLI
    CHECK(user() == "from-home");
  }
}

TEST_CASE("credential helpers: credHelpers first, then credsStore, then auths") {
  const helpers path;
  path.add("good", answer_script());
  path.add("hub", answer_script("hub-user"));
  path.add("tokens", answer_script("<token>"));
  path.add("none", "cat >/dev/null; echo 'credentials not found in native keychain'; exit 1");
  path.add("empty", R"(cat >/dev/null; echo '{"ServerURL":"","Username":"","Secret":""}')");
  const temp_dir dir;
  const auto auths = R"("auths": {"localhost:5000": {"username": "file-user", "password": "p"},
                                  "files.example.com": {"username": "file-user", "password": "p"}})";
  const auto answer = [](const credential_store& store, std::string_view domain) {
    auto found = store.lookup(domain);
    REQUIRE(found.has_value());
    return *found;
  };

  SUBCASE("the registry's own helper, asked for the config key, wins over auths") {
    const auto store = load_config(dir, fmt::format(R"({{"credHelpers": {{"localhost:5000": "good"}}, {}}})", auths));
    const auto found = answer(store, "localhost:5000");
    REQUIRE(found.has_value());
    CHECK(found->username == "user-for-localhost:5000");  // the helper read the server URL on stdin
    CHECK(same(found->password, secret));
    CHECK(found->server_address == "localhost:5000");
    CHECK(answer(store, "files.example.com")->username == "file-user");  // no helper for it: auths
  }
  SUBCASE("credsStore for every registry without its own helper, Docker Hub by its legacy key") {
    const auto store = load_config(
        dir,
        fmt::format(R"({{"credsStore": "good", "credHelpers": {{"https://index.docker.io/v1/": "hub"}}, {}}})", auths));
    const auto hub = answer(store, "docker.io");
    REQUIRE(hub.has_value());
    CHECK(hub->username == "hub-user");
    CHECK(hub->server_address == "https://index.docker.io/v1/");
    const auto other = answer(store, "files.example.com");
    REQUIRE(other.has_value());
    CHECK(other->username == "user-for-files.example.com");
  }
  SUBCASE("Username <token> means Secret is an identity token") {
    const auto store = load_config(dir, R"({"credsStore": "tokens"})");
    const auto found = answer(store, "docker.io");
    REQUIRE(found.has_value());
    CHECK(found->username.empty());
    CHECK(found->password.empty());
    CHECK(same(found->identity_token, secret));
  }
  SUBCASE("\"credentials not found\" and an empty answer mean none, with no fall-back to auths") {
    for (const char* helper : {"none", "empty"}) {
      const auto store = load_config(dir, fmt::format(R"({{"credsStore": "{}", {}}})", helper, auths));
      CHECK_FALSE(answer(store, "localhost:5000").has_value());
    }
  }
}

TEST_CASE("a failing credential helper is an error of the right category that holds no secret") {
  using namespace std::chrono_literals;
  const helpers path;
  const temp_dir dir;
  const auto lookup_error = [&](std::string_view helper, std::chrono::milliseconds timeout = 10s) {
    const auto store =
        load_config(dir, fmt::format(R"({{"credHelpers": {{"localhost:5000": "{}"}}}})", helper), timeout);
    const auto found = store.lookup("localhost:5000");
    REQUIRE_FALSE(found.has_value());
    return found.error();
  };

  SUBCASE("missing: failed_precondition (never not_found: that would mean a missing image), naming the program") {
    check_error(lookup_error("nonexistent"), imagepull::is_failed_precondition, "docker-credential-nonexistent");
    CHECK_FALSE(imagepull::is_not_found(lookup_error("nonexistent")));
  }
  SUBCASE("not executable: permission_denied") {
    path.add("noexec", answer_script(), fs::perms::owner_read | fs::perms::owner_write);
    check_error(lookup_error("noexec"), imagepull::is_permission_denied, "docker-credential-noexec");
  }
  SUBCASE("a name that is a path: invalid_argument, nothing run") {
    check_error(lookup_error("../../bin/sh"), imagepull::is_invalid_argument, "not a program name");
  }
  SUBCASE("exits 1 with a message: unavailable, with its status and text") {
    path.add("locked", "cat >/dev/null; echo 'keychain is locked'; echo 'try unlocking' >&2; exit 1");
    const auto err = lookup_error("locked");
    check_error(err, imagepull::is_unavailable, "exited with status 1: \"keychain is locked\"");
    CHECK(holds(err.what(), "(stderr: \"try unlocking\")"));
    CHECK(holds(err.what(), "failed to get credentials for \"localhost:5000\""));
  }
  SUBCASE("exits 1 after printing its JSON answer: the text is withheld") {
    path.add("answers-then-fails", answer_script() + "\necho \"oops $(printf '%s' " + secret + ")\" >&2\nexit 3");
    const auto err = lookup_error("answers-then-fails");
    check_error(err, imagepull::is_unavailable, "exited with status 3");
    CHECK(holds(err.what(), "not shown: they may hold credentials"));  // stderr too, though it has no '{'
  }
  SUBCASE("killed by a signal: unavailable") {
    path.add("killed", "cat >/dev/null; kill -9 $$");
    check_error(lookup_error("killed"), imagepull::is_unavailable, "was killed by signal 9");
  }
  SUBCASE("prints garbage: data_loss, never quoted") {
    path.add("garbage", "cat >/dev/null; echo 'Username=alice Secret=" + secret + "'");
    check_error(lookup_error("garbage"), imagepull::is_data_loss, "not a JSON object");
  }
  SUBCASE("prints JSON of the wrong shape: data_loss naming the field only") {
    path.add("wrong-type", "cat >/dev/null; echo '{\"Username\": \"alice\", \"Secret\": [\"" + secret + "\"]}'");
    check_error(lookup_error("wrong-type"), imagepull::is_data_loss, "field \"Secret\" must be a string");
  }
  SUBCASE("prints without end: resource_exhausted, and it is stopped") {
    path.add("huge", "exec yes '" + secret + "'");
    const auto start = std::chrono::steady_clock::now();
    check_error(lookup_error("huge"), imagepull::is_resource_exhausted, "wrote more than 1048576 bytes");
    CHECK(std::chrono::steady_clock::now() - start < 5s);
  }
  SUBCASE("never answers: deadline_exceeded after the timeout, and it is killed") {
    path.add("sleeps", "exec sleep 1000");
    const auto start = std::chrono::steady_clock::now();
    check_error(lookup_error("sleeps", 300ms), imagepull::is_deadline_exceeded, "did not finish within 300 ms");
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(elapsed >= 300ms);
    CHECK(elapsed < 5s);
    CHECK(no_children_left());
  }
  SUBCASE("a stop requested from another thread ends it as canceled, and it is killed") {
    const auto started = (dir.path() / "started").string();
    path.add("waits", "cat >/dev/null; touch '" + started + "'; exec sleep 1000");
    const auto store = load_config(dir, R"({"credHelpers": {"localhost:5000": "waits"}})", 60s);
    std::stop_source stop;
    std::thread canceller([&] {
      // Once the helper runs (bounded, so a helper that never starts cannot hang the test).
      for (int i = 0; i < 3000 && !fs::exists(started); ++i) std::this_thread::sleep_for(10ms);
      stop.request_stop();
    });
    const auto found = store.lookup("localhost:5000", stop.get_token());
    canceller.join();
    REQUIRE(fs::exists(started));
    REQUIRE_FALSE(found.has_value());
    check_error(found.error(), imagepull::is_canceled, "stopped: canceled");
    CHECK(no_children_left());
  }
  SUBCASE("closes its output and runs on: the deadline still holds") {
    path.add("lingers", "cat >/dev/null; exec >&- 2>&-; exec sleep 1000");
    check_error(lookup_error("lingers", 300ms), imagepull::is_deadline_exceeded, "did not finish within 300 ms");
    CHECK(no_children_left());
  }
}

TEST_CASE("a helper that does not read its stdin cannot kill this process with SIGPIPE") {
  const helpers path;
  // It closes stdin at once; a server URL longer than a pipe holds makes the write fail with EPIPE.
  path.add("deaf", "exec 0<&-; sleep 0.2; echo '{\"Username\": \"deaf\", \"Secret\": \"x\"}'");
  const temp_dir dir;
  const auto store = load_config(dir, R"({"credsStore": "deaf"})");
  const auto found = store.lookup(std::string(256 * 1024, 'a'));
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  CHECK((*found)->username == "deaf");
}

TEST_CASE("helpers leave no descriptor open and no zombie behind") {
  using namespace std::chrono_literals;
  const helpers path;
  path.add("good", answer_script());
  path.add("fails", "cat >/dev/null; echo nope; exit 1");
  path.add("garbage", "echo garbage");
  path.add("sleeps", "exec sleep 1000");
  path.add("huge", "exec yes");
  const temp_dir dir;
  const auto store = load_config(dir, R"({"credHelpers": {"good.example": "good", "fails.example": "fails",
    "garbage.example": "garbage", "huge.example": "huge", "missing.example": "nonexistent"}})",
                                 10s);
  const temp_dir slow_dir;
  const auto slow = load_config(slow_dir, R"({"credsStore": "sleeps"})", 100ms);

  const auto before = open_fds();
  int failures = 0;
  for (int round = 0; round < 10; ++round)
    for (const char* domain : {"good.example", "fails.example", "garbage.example", "missing.example", "huge.example"})
      failures += store.lookup(domain).has_value() ? 0 : 1;
  for (int round = 0; round < 3; ++round) failures += slow.lookup("sleeps.example").has_value() ? 0 : 1;
  CHECK(failures == 43);
  CHECK(open_fds() == before);
  CHECK(no_children_left());
}
