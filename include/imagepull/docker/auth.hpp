/// @file docker/auth.hpp
/// @brief Registry credentials as the Docker CLI finds them: the config file, credential helpers,
/// and the X-Registry-Auth value that carries them to the daemon.
///
/// A credential_store reads a Docker config file (config.json) once. lookup() then answers, for
/// one registry domain, what the Docker CLI would send: the registry's `credHelpers` entry if it
/// has one, else the `credsStore` helper if one is set, else the `auths` entry. Helpers are run
/// as the docker-credential-helpers protocol says: `docker-credential-<name> get`, the server
/// URL on stdin, `{"ServerURL","Username","Secret"}` on stdout.
///
/// Secrets (passwords, tokens, the `auth` field, the X-Registry-Auth value) never appear in an
/// error: malformed input is described by its place and size, never quoted, and a helper's
/// output is shown only when it failed and the text cannot be a JSON answer. registry_auth is
/// formatted by {fmt} with its secrets redacted.
///
/// A credential_store is immutable after load: lookup() may be called from several threads at
/// once (each call runs its own helper process).
#pragma once

#include "imagepull/config.hpp"
#include "imagepull/detail/base64.hpp"
#include "imagepull/detail/json_fields.hpp"
#include "imagepull/detail/quote.hpp"
#include "imagepull/docker/credential_helper.hpp"
#include "imagepull/error.hpp"
#include "imagepull/puller.hpp"  // registry_auth

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace imagepull::docker {

/// @brief The config-file key (and helper server URL) of Docker Hub.
inline constexpr std::string_view docker_hub_config_key = "https://index.docker.io/v1/";
/// @brief The largest config file read; real ones are a few KiB.
inline constexpr std::size_t max_config_file_size = 16 * 1024 * 1024;

namespace detail {

using imagepull::detail::base64_decode;
using imagepull::detail::base64_encode;
using imagepull::detail::base64_url;

/// @brief Docker's ConvertToHostname: "https://host:5000/v1/" → "host:5000", for legacy auths keys.
inline std::string_view hostname_of(std::string_view url) noexcept {
  for (const std::string_view scheme : {"http://", "https://"})
    if (url.starts_with(scheme)) {
      url.remove_prefix(scheme.size());
      break;
    }
  return url.substr(0, url.find('/'));
}

/// @brief The file's content; std::nullopt when it does not exist.
inline expected<std::optional<std::string>, error> read_config_file(const std::filesystem::path& file) {
  const auto failed = [&file](int code) {
    return unexpected<error>(os_error(code, fmt::format("cannot read Docker config file {}", quote(file.native()))));
  };
  int raw = -1;
  do raw = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  while (raw < 0 && errno == EINTR);
  if (raw < 0) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return failed(errno);
  }
  const unique_fd fd{raw};
  std::string text;
  std::array<char, 16 * 1024> buffer;
  while (true) {
    const auto n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return failed(errno);
    }
    text.append(buffer.data(), static_cast<std::size_t>(n));
    if (text.size() > max_config_file_size)
      return unexpected<error>(make_error(to_error_code(errc::invalid_argument),
                                          "Docker config file {} is larger than {} bytes", quote(file.native()),
                                          max_config_file_size));
  }
  return std::optional<std::string>{std::move(text)};
}

/// @brief Where the Docker CLI looks for config.json: $DOCKER_CONFIG, else the home directory's .docker.
inline std::filesystem::path default_config_file() {
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir != nullptr && *dir != '\0')
    return std::filesystem::path{dir} / "config.json";
  std::filesystem::path home;
  if (const char* env = std::getenv("HOME"); env != nullptr && *env != '\0') {
    home = env;
  } else {
    // As Go's os/user does when HOME is unset: the password database's entry for this user.
    passwd entry{};
    passwd* found = nullptr;
    std::vector<char> buffer(16 * 1024);
    if (::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr &&
        found->pw_dir != nullptr)
      home = found->pw_dir;
  }
  return home / ".docker" / "config.json";
}

}  // namespace detail

/// @brief The key the Docker config file uses for a registry domain: Docker Hub's names map to
/// "https://index.docker.io/v1/", anything else is unchanged ("localhost:5000").
inline std::string config_key_for(std::string_view domain) {
  for (const std::string_view hub : {"docker.io", "index.docker.io", "registry-1.docker.io"})
    if (imagepull::detail::equals_ignoring_case(domain, hub)) return std::string{docker_hub_config_key};
  return std::string{domain};
}

/// @brief The X-Registry-Auth value: base64url (with '=' padding, as Go's base64.URLEncoding) of
/// {"username","password","serveraddress","identitytoken","registrytoken"}, empty fields left out.
inline std::string encode_registry_auth(const registry_auth& auth) {
  // The field order of Go's registry.AuthConfig.
  const std::pair<const char*, const std::string*> fields[] = {{"username", &auth.username},
                                                               {"password", &auth.password},
                                                               {"serveraddress", &auth.server_address},
                                                               {"identitytoken", &auth.identity_token},
                                                               {"registrytoken", &auth.registry_token}};
  auto json = detail::ordered_json::object();
  for (const auto& [key, value] : fields)
    if (!value->empty()) json[key] = *value;
  // Invalid UTF-8 becomes U+FFFD, as Go's encoding/json does, instead of throwing.
  return detail::base64_encode(json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), detail::base64_url);
}

/// @brief The credentials of a Docker config file (config.json), read once.
///
/// Error categories. load: a malformed or oversized file is invalid_argument; an unreadable one
/// keeps its errno (EACCES: permission_denied). lookup, when a helper is asked: not on PATH
/// failed_precondition; not executable permission_denied; a name with '/' invalid_argument; failed
/// (non-zero exit, killed) unavailable; a malformed answer data_loss; more than
/// max_helper_output bytes resource_exhausted; not finished in time deadline_exceeded.
class credential_store {
public:
  /// @brief An empty store: every lookup answers std::nullopt.
  credential_store() = default;

  /// @brief Reads config_file; a missing or empty file is an empty store. Helpers it names
  /// are killed when they take longer than helper_timeout.
  static expected<credential_store, error> load(const std::filesystem::path& config_file,
                                                std::chrono::milliseconds helper_timeout = default_helper_timeout);
  /// @brief Reads $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json.
  static expected<credential_store, error> load_default(
      std::chrono::milliseconds helper_timeout = default_helper_timeout);

  /// @brief Credentials for a registry domain ("docker.io", "localhost:5000"), std::nullopt when
  /// there are none. The store is chosen as Docker chooses it: the domain's credHelpers entry,
  /// else credsStore, else auths (exact key, then a legacy "https://host/v1/" key). A helper's
  /// answer is final: "credentials not found" means none, with no fall-back to auths.
  /// server_address is the config key (config_key_for(domain)).
  expected<std::optional<registry_auth>, error> lookup(std::string_view domain, const std::stop_token& stop = {}) const;

private:
  std::optional<std::string> parse(std::string_view text);
  std::optional<std::string> read_auths(std::string_view key, const detail::ordered_json& value);
  std::optional<std::string> read_helpers(std::string_view key, const detail::ordered_json& value);
  std::optional<registry_auth> from_auths(const std::string& key) const;

  std::map<std::string, registry_auth, std::less<>> auths_;
  std::map<std::string, std::string, std::less<>> helpers_;
  std::string store_;
  std::chrono::milliseconds helper_timeout_ = default_helper_timeout;
};

inline expected<credential_store, error> credential_store::load(const std::filesystem::path& config_file,
                                                                std::chrono::milliseconds helper_timeout) {
  auto text = detail::read_config_file(config_file);
  if (!text) return unexpected<error>(text.error());
  credential_store store;
  store.helper_timeout_ = helper_timeout;
  if (!*text) return store;
  if (const auto problem = store.parse(**text))
    return unexpected<error>(make_error(to_error_code(errc::invalid_argument), "Docker config file {} is malformed: {}",
                                        detail::quote(config_file.native()), *problem));
  return store;
}

inline expected<credential_store, error> credential_store::load_default(std::chrono::milliseconds helper_timeout) {
  return load(detail::default_config_file(), helper_timeout);
}

// Each problem names a place (a key, a byte offset), never a value: the file holds secrets.
inline std::optional<std::string> credential_store::parse(std::string_view text) {
  if (detail::trim(text).empty()) return std::nullopt;  // the Docker CLI reads an empty file as an empty config
  detail::ordered_json root;
  try {
    root = detail::ordered_json::parse(text);
  } catch (const detail::ordered_json::parse_error& e) {
    return fmt::format("not valid JSON (error at byte {})", e.byte);  // e.what() quotes the text
  }
  if (!root.is_object()) return "not a JSON object";
  return imagepull::detail::field_reader(root).each(
      [this](std::string_view key, const detail::ordered_json& value) -> std::optional<std::string> {
        if (imagepull::detail::equals_ignoring_case(key, "auths")) return read_auths(key, value);
        if (imagepull::detail::equals_ignoring_case(key, "credHelpers")) return read_helpers(key, value);
        return imagepull::detail::read_field(key, value, imagepull::detail::field("credsStore", store_));
      });
}

inline std::optional<std::string> credential_store::read_auths(std::string_view key,
                                                               const detail::ordered_json& value) {
  using imagepull::detail::field;
  if (auto problem = imagepull::detail::read_object(key, value)) return problem;
  for (const auto& [registry, entry] : value.items()) {
    registry_auth auth;
    auth.server_address = registry;
    if (!entry.is_null()) {
      if (!entry.is_object()) return fmt::format("auths entry {} must be an object", detail::quote(registry));
      std::string encoded;
      if (const auto problem =
              imagepull::detail::field_reader(entry).each([&](std::string_view k, const detail::ordered_json& v) {
                return imagepull::detail::read_field(
                    k, v, field("auth", encoded), field("username", auth.username), field("password", auth.password),
                    field("identitytoken", auth.identity_token), field("registrytoken", auth.registry_token));
              }))
        return fmt::format("auths entry {}: {}", detail::quote(registry), *problem);
      // "auth" wins over username/password, as in the Docker CLI; the password may hold ':'.
      if (!encoded.empty()) {
        const auto decoded = detail::base64_decode(encoded);
        const auto colon = decoded ? decoded->find(':') : std::string::npos;
        if (colon == std::string::npos || colon == 0)
          return fmt::format("auths entry {}: field \"auth\" is not base64 of \"user:password\"",
                             detail::quote(registry));
        auth.username = decoded->substr(0, colon);
        const auto password = std::string_view{*decoded}.substr(colon + 1);
        const auto first = password.find_first_not_of('\0');
        auth.password = first == std::string_view::npos
                            ? std::string{}
                            : std::string{password.substr(first, password.find_last_not_of('\0') - first + 1)};
      }
    }
    auths_.insert_or_assign(registry, std::move(auth));
  }
  return std::nullopt;
}

inline std::optional<std::string> credential_store::read_helpers(std::string_view key,
                                                                 const detail::ordered_json& value) {
  if (auto problem = imagepull::detail::read_object(key, value)) return problem;
  for (const auto& [registry, helper] : value.items()) {
    if (helper.is_null()) continue;
    if (!helper.is_string()) return fmt::format("credHelpers entry {} must be a string", detail::quote(registry));
    // An empty name means no helper, as in the Docker CLI.
    if (const auto& name = helper.get_ref<const std::string&>(); !name.empty())
      helpers_.insert_or_assign(registry, name);
  }
  return std::nullopt;
}

inline std::optional<registry_auth> credential_store::from_auths(const std::string& key) const {
  auto found = auths_.find(key);
  if (found == auths_.end())
    found = std::find_if(auths_.begin(), auths_.end(),
                         [&key](const auto& entry) { return detail::hostname_of(entry.first) == key; });
  if (found == auths_.end()) return std::nullopt;
  const auto& auth = found->second;
  if (auth.username.empty() && auth.password.empty() && auth.identity_token.empty() && auth.registry_token.empty())
    return std::nullopt;
  auto result = auth;
  result.server_address = key;
  return result;
}

inline expected<std::optional<registry_auth>, error> credential_store::lookup(std::string_view domain,
                                                                             const std::stop_token& stop) const {
  const auto key = config_key_for(domain);
  if (const auto helper = helpers_.find(key); helper != helpers_.end())
    return detail::ask_helper(helper->second, key, helper_timeout_, stop);
  if (!store_.empty()) return detail::ask_helper(store_, key, helper_timeout_, stop);
  return from_auths(key);
}

}  // namespace imagepull::docker

/// @brief Formats registry_auth for logs with every secret redacted:
/// `registry_auth{user="alice", server="localhost:5000", secret=<redacted>}` (`<none>` without one).
template <>
struct fmt::formatter<imagepull::registry_auth> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(const imagepull::registry_auth& auth, Context& ctx) const {
    const bool has_secret = !auth.password.empty() || !auth.identity_token.empty() || !auth.registry_token.empty();
    return fmt::formatter<std::string_view>::format(
        fmt::format("registry_auth{{user={}, server={}, secret={}}}", imagepull::docker::detail::quote(auth.username),
                    imagepull::docker::detail::quote(auth.server_address), has_secret ? "<redacted>" : "<none>"),
        ctx);
  }
};
