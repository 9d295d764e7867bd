/// @file docker/client.hpp
/// @brief docker::client: the Docker Engine API (also Podman's compatible API) as an ImagePuller.
#pragma once

#include "imagepull/config.hpp"
#include "imagepull/daemon_error.hpp"
#include "imagepull/detail/quote.hpp"
#include "imagepull/docker/auth.hpp"
#include "imagepull/docker/host.hpp"
#include "imagepull/error.hpp"
#include "imagepull/puller.hpp"
#include "imagepull/reference.hpp"
#include "imagepull/transport/http.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace imagepull::docker {

/// @brief The newest API version this client speaks; it needs nothing newer than Docker 20.10's.
inline constexpr std::string_view max_api_version = "1.41";

/// @brief How a client talks to its daemon.
struct client_options {
  std::string daemon{};       ///< names the daemon in errors, e.g. "unix:///var/run/docker.sock"
  std::string api_version{};  ///< pinned version; empty: negotiate through /_ping
  std::optional<credential_store> credentials{};  ///< used when pull_options::auth is empty
  std::size_t max_error_body = 64 * 1024;         ///< bytes of an error answer kept for its message
  std::size_t max_inspect_body = 4 * 1024 * 1024; ///< a larger inspect answer is refused
};

namespace detail {

// "1.41" → 1041, so versions compare as numbers (v must pass is_api_version).
inline int version_number(std::string_view v) noexcept {
  int major = 0, minor = 0;
  const auto dot = v.find('.');
  if (dot == std::string_view::npos) return 0;
  const auto a = std::from_chars(v.data(), v.data() + dot, major);
  const auto b = std::from_chars(v.data() + dot + 1, v.data() + v.size(), minor);
  if (a.ec != std::errc{} || b.ec != std::errc{} || a.ptr != v.data() + dot || b.ptr != v.data() + v.size()) return 0;
  return major * 1000 + minor;
}

// The daemon's {"message": …} (Docker) or {"cause", "message", "response"} (Podman).
inline error answer_error(int status, std::string_view body, bool truncated) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!truncated && json.is_object() && json.contains("message") && json["message"].is_string() &&
      !json["message"].get_ref<const std::string&>().empty())
    return daemon_error(status, json["message"].get<std::string>());
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return daemon_error(status, fmt::format("the daemon answered HTTP {} without a message", status));
  return daemon_error(status, fmt::format("the daemon answered HTTP {}{}: {}", status,
                                          truncated ? " with an oversized body" : "", imagepull::detail::quote(body, 200)));
}

inline expected<image_info, error> parse_image_info(std::string_view body) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  const auto malformed = [](std::string_view why) {
    return unexpected(error(errc::data_loss, fmt::format("the daemon's image inspect answer is malformed: {}", why)));
  };
  if (!json.is_object()) return malformed("not a JSON object");
  image_info info;
  const auto text = [&](const char* key, std::string& out) {
    const auto it = json.find(key);
    if (it == json.end() || it->is_null()) return true;
    if (!it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  const auto list = [&](const char* key, std::vector<std::string>& out) {
    const auto it = json.find(key);
    if (it == json.end() || it->is_null()) return true;
    if (!it->is_array()) return false;
    for (const auto& item : *it) {
      if (!item.is_string()) return false;
      out.push_back(item.get<std::string>());
    }
    return true;
  };
  if (!text("Id", info.id)) return malformed("Id is not a string");
  if (!text("Os", info.os)) return malformed("Os is not a string");
  if (!text("Architecture", info.architecture)) return malformed("Architecture is not a string");
  if (!text("Variant", info.variant)) return malformed("Variant is not a string");
  if (!list("RepoTags", info.repo_tags)) return malformed("RepoTags is not a list of strings");
  if (!list("RepoDigests", info.repo_digests)) return malformed("RepoDigests is not a list of strings");
  if (const auto it = json.find("Size"); it != json.end() && !it->is_null()) {
    if (!it->is_number_integer()) return malformed("Size is not an integer");
    info.size = it->get<std::int64_t>();
  }
  return info;
}

}  // namespace detail

/// @brief A Docker Engine API client over any HttpTransport; satisfies ImagePuller.
///
/// Not for concurrent use: a client holds one transport (one connection) and its negotiated
/// version. For parallel pulls make one client per thread; cancelling a pull through
/// pull_options::stop works from any thread.
template <transport::HttpTransport Transport>
class client {
public:
  /// @brief A client that sends its requests through transport.
  explicit client(Transport transport, client_options options = {})
      : transport_(std::move(transport)), options_(std::move(options)), version_(options_.api_version) {}

  /// @brief GET /images/{name}/json. A missing image is an error that is_not_found.
  expected<image_info, error> image_inspect(const reference& ref) { return image_inspect(ref, {}); }

  /// @brief The same, cancelled when stop is requested (pull_image passes its own token).
  expected<image_info, error> image_inspect(const reference& ref, const std::stop_token& stop) {
    auto version = api_version(stop);
    if (!version) return unexpected(std::move(version.error()));
    const auto target = fmt::format("/v{}/images/{}/json", *version,
                                    transport::percent_encode(ref.api_inspect_name(), "/:@"));
    std::string body;
    bool oversized = false;
    auto head = send({"GET", target, {}, stop}, [&](const transport::response_head&, std::string_view chunk) {
      if (body.size() + chunk.size() > options_.max_inspect_body) oversized = true;
      if (!oversized) body.append(chunk);
    });
    if (!head) return unexpected(std::move(head.error()));
    if (head->status / 100 != 2) return unexpected(detail::answer_error(head->status, body, oversized));
    if (oversized)
      return unexpected(error(errc::resource_exhausted,
                              fmt::format("the daemon's image inspect answer is larger than {} bytes", options_.max_inspect_body)));
    return detail::parse_image_info(body);
  }

  /// @brief POST /images/create: hands the progress stream to sink as it arrives. An error
  /// answer before the stream (Docker's 404 for a missing tag, 500 for a refused login) is
  /// returned here; an error inside the stream is for the caller's decoder.
  expected<void, error> image_pull(const reference& ref, const pull_options& options, const chunk_sink& sink) {
    auto version = api_version(options.stop);
    if (!version) return unexpected(std::move(version.error()));
    std::string target = fmt::format("/v{}/images/create?fromImage={}&tag={}", *version,
                                     transport::percent_encode(ref.api_from_image()),
                                     transport::percent_encode(ref.api_tag()));
    if (!options.platform.empty()) {
      std::string platform = options.platform;
      std::ranges::transform(platform, platform.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      target += "&platform=" + transport::percent_encode(platform);
    }
    transport::request req{"POST", std::move(target), {}, options.stop};
    auto auth = credentials_for(ref, options);
    if (!auth) return unexpected(std::move(auth.error()));
    if (*auth) req.headers.emplace_back("X-Registry-Auth", encode_registry_auth(**auth));

    std::string error_body;
    bool truncated = false;
    auto head = send(req, [&](const transport::response_head& h, std::string_view chunk) {
      if (h.status / 100 == 2) return sink(chunk);
      const auto room = options_.max_error_body - error_body.size();
      if (chunk.size() > room) truncated = true;
      error_body.append(chunk.substr(0, room));
    });
    if (!head) return unexpected(std::move(head.error()));
    if (head->status / 100 != 2) return unexpected(detail::answer_error(head->status, error_body, truncated));
    return {};
  }

  /// @brief The API version in use: pinned, or negotiated once through /_ping (HEAD, then GET)
  /// as the Docker CLI does: the daemon's version when older than ours, else ours.
  expected<std::string, error> api_version(const std::stop_token& stop = {}) {
    if (!version_.empty()) return version_;
    std::string offered;
    for (const char* method : {"HEAD", "GET"}) {
      auto head = send({method, "/_ping", {}, stop}, [](const transport::response_head&, std::string_view) {});
      if (!head) return unexpected(std::move(head.error()));
      offered = head->header("Api-Version");
      if (!offered.empty()) break;
    }
    if (offered.empty()) offered = "1.24";  // a daemon that does not say is an old one
    if (!detail::is_api_version(offered))
      return unexpected(error(errc::internal, fmt::format("the daemon at {} reports an invalid API version {}",
                                                          options_.daemon, imagepull::detail::quote(offered))));
    version_ = detail::version_number(offered) < detail::version_number(max_api_version) ? offered
                                                                                          : std::string(max_api_version);
    return version_;
  }

  /// @brief The transport, e.g. to send requests this client does not offer.
  Transport& transport() noexcept { return transport_; }

private:
  expected<transport::response_head, error> send(const transport::request& req, const transport::body_sink& sink) {
    auto head = transport_.send(req, sink);
    if (!head) return unexpected(wrap(std::move(head.error()), "daemon at {}", options_.daemon));
    return head;
  }

  expected<std::optional<registry_auth>, error> credentials_for(const reference& ref, const pull_options& options) const {
    if (options.auth) return options.auth;
    if (!options_.credentials) return std::optional<registry_auth>{};
    auto found = options_.credentials->lookup(ref.domain(), options.stop);
    if (!found) return unexpected(wrap(std::move(found.error()), "cannot read the credentials for {}", ref.domain()));
    return found;
  }

  Transport transport_;
  client_options options_;
  std::string version_;
};

}  // namespace imagepull::docker
