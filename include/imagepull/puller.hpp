/// @file puller.hpp
/// @brief The ImagePuller concept and its vocabulary types.
#pragma once

#include "imagepull/config.hpp"
#include "imagepull/error.hpp"
#include "imagepull/reference.hpp"

#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace imagepull {

/// @brief What a daemon reports about an image that is present.
struct image_info {
  std::string id{};
  std::vector<std::string> repo_tags{};
  std::vector<std::string> repo_digests{};
  std::int64_t size = 0;
  std::string os{};
  std::string architecture{};
  std::string variant{};
};

/// @brief Registry credentials for one pull. Never formatted, logged or put in an error.
struct registry_auth {
  std::string username{};
  std::string password{};
  std::string server_address{};
  std::string identity_token{};  ///< OAuth refresh token, instead of username/password
  std::string registry_token{};  ///< bearer token sent to the registry as is
};

/// @brief How one pull is asked for.
struct pull_options {
  std::string platform{};               ///< "os/arch[/variant]"; empty: the daemon's own
  std::optional<registry_auth> auth{};  ///< empty: the puller finds credentials itself, if it can
  std::stop_token stop{};               ///< cancels the pull from any thread
};

/// @brief Receives the pull's response body as it arrives; chunks may split lines anywhere.
using chunk_sink = std::function<void(std::string_view chunk)>;

/// @brief Anything that can inspect an image and pull one: docker::client, a fake, your own.
///
/// image_pull hands the raw response body to the sink and returns once it has ended; an error
/// carried inside the body is not its business (pull_image decodes it). It should stop and
/// return an error (canceled) soon after options.stop is requested.
template <class P>
concept ImagePuller = requires(P& puller, const reference& ref, const pull_options& options, const chunk_sink& sink) {
  { puller.image_inspect(ref) } -> std::same_as<expected<image_info, error>>;
  { puller.image_pull(ref, options, sink) } -> std::same_as<expected<void, error>>;
};

}  // namespace imagepull
