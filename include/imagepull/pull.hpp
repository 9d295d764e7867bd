/// @file pull.hpp
/// @brief pull_image: make sure an image is present, pulling it when it is missing.
#pragma once

#include "imagepull/config.hpp"
#include "imagepull/error.hpp"
#include "imagepull/jsonmessage.hpp"
#include "imagepull/platform.hpp"
#include "imagepull/progress.hpp"
#include "imagepull/puller.hpp"
#include "imagepull/reference.hpp"

#include <cstddef>
#include <exception>
#include <optional>
#include <source_location>
#include <stop_token>
#include <string_view>
#include <utility>

namespace imagepull {

/// @brief When to pull (the names of Kubernetes' imagePullPolicy).
enum class pull_policy {
  if_not_present,  ///< pull only when inspect says not-found
  always,          ///< pull without looking first
  never,           ///< never pull: a missing image is an error
};

/// @brief Everything pull_image can be told besides the image and the progress policy.
struct pull_image_options {
  pull_policy policy = pull_policy::if_not_present;
  bool verify = true;        ///< inspect after the pull: a pull that left no image is an error
  pull_options request{};      ///< platform, credentials and cancellation, handed to the puller
  std::size_t max_line = IMAGEPULL_MAX_MESSAGE_LINE;  ///< longest pull-stream line accepted
};

/// @brief What pull_image did.
struct pull_result {
  reference ref;        ///< the normalized reference
  bool pulled = false;  ///< false when the image was already present
  image_info image{};     ///< as the daemon reports it; empty only after a pull with verify off
};

namespace detail {

template <class... Args>
unexpected<error> failed(error cause, located_format<std::type_identity_t<Args>...> format, Args&&... args) {
  return unexpected(wrap(std::move(cause), format, std::forward<Args>(args)...));
}

inline error image_without_id(std::source_location where = std::source_location::current()) {
  return error(errc::not_found, "the daemon reports the image without an id", where);
}

// Runs the pull and decodes its stream; the first stream error wins over whatever the
// puller returns, because stopping the transfer early is our doing.
template <ImagePuller Puller, ProgressPolicy Progress>
expected<void, error> run_pull(Puller& puller, const reference& ref, const pull_image_options& options,
                               Progress& progress) {
  message_decoder decoder(options.max_line);
  std::optional<error> stream_error;
  std::stop_source stop;
  std::stop_callback forward_stop(options.request.stop, [&stop] { stop.request_stop(); });
  pull_options request = options.request;
  request.stop = stop.get_token();

  auto pulled = puller.image_pull(ref, request, [&](std::string_view chunk) {
    if (stream_error) return;
    auto fed = decoder.feed(chunk, [&](const json_message& message) { progress.on_message(message); });
    if (!fed) {
      stream_error = std::move(fed.error());
      stop.request_stop();  // the pull has failed: no reason to download the rest
    }
  });
  if (stream_error) return unexpected(std::move(*stream_error));
  if (!pulled) return pulled;
  return decoder.finish([&](const json_message& message) { progress.on_message(message); });
}


// Inspects with the pull's stop token when the puller can take one (docker::client can), so
// that a stuck daemon cannot hold up a cancelled pull; plain ImagePullers are asked without.
template <ImagePuller Puller>
expected<image_info, error> inspect(Puller& puller, const reference& ref, const std::stop_token& stop) {
  if constexpr (requires { puller.image_inspect(ref, stop); })
    return puller.image_inspect(ref, stop);
  else
    return puller.image_inspect(ref);
}

// The image as the daemon has it, or an error that is_not_found when it is not usable: no id,
// or (when a platform was asked for) built for another platform.
template <ImagePuller Puller>
expected<image_info, error> find_image(Puller& puller, const reference& ref, const pull_options& request) {
  auto found = inspect(puller, ref, request.stop);
  if (!found) return found;
  if (found->id.empty()) return unexpected(image_without_id());
  if (!request.platform.empty()) {
    const auto wanted = parse_platform(request.platform);
    if (!serves(*found, wanted))
      return unexpected(error(errc::not_found, fmt::format("the image there is for {}, not for {}",
                                                           to_string(platform_of(*found)), to_string(wanted))));
  }
  return found;
}

template <ImagePuller Puller, ProgressPolicy Progress>
expected<pull_result, error> ensure_present(Puller& puller, std::string_view image, const pull_image_options& options,
                                            Progress& progress) {
  auto ref = reference::parse(image);
  if (!ref) return unexpected(std::move(ref.error()));
  if (options.request.stop.stop_requested())
    return unexpected(error(errc::canceled, fmt::format("pull of image \"{}\" canceled before it started", image)));

  pull_result result{std::move(*ref), false, {}};
  if (options.policy != pull_policy::always) {
    auto found = find_image(puller, result.ref, options.request);
    if (found) {
      result.image = std::move(*found);
      return result;
    }
    if (!is_not_found(found.error()))
      return failed(std::move(found.error()), "failed to inspect image \"{}\"", image);
    if (options.policy == pull_policy::never)
      return failed(std::move(found.error()), "image \"{}\" is not present and the pull policy is never", image);
  }

  if (auto pulled = run_pull(puller, result.ref, options, progress); !pulled)
    return failed(std::move(pulled.error()), "failed to pull image \"{}\"", image);
  result.pulled = true;
  if (!options.verify) return result;

  auto verified = find_image(puller, result.ref, options.request);
  if (!verified)
    return failed(std::move(verified.error()),
                  "failed to pull image \"{}\": the pull ended without an error but the image is not present", image);
  result.image = std::move(*verified);
  return result;
}

}  // namespace detail

/// @brief Makes sure image is present on the daemon behind puller, pulling it if needed.
///
/// An invalid reference is rejected before anything is sent. Inspect's not-found, wherever it
/// sits in the chain, leads to a pull; so does an image built for another platform than
/// options.request.platform, when one is asked for. Any other inspect error is returned as
/// `failed to inspect image "IMAGE": <cause>`. A failed pull, an error inside the pull stream,
/// a cut-short stream, or (with verify) a pull that left no usable image, is returned as
/// `failed to pull image "IMAGE": <cause>` with the cause's category kept in the chain.
/// Without verify, a stream that ends cleanly between two messages is taken as a success.
/// No exception escapes: one thrown by the puller or the progress policy becomes an internal error.
template <ImagePuller Puller, ProgressPolicy Progress = progress::silent>
expected<pull_result, error> pull_image(Puller& puller, std::string_view image, const pull_image_options& options = {},
                                        Progress&& progress = {}) {
  try {
    return detail::ensure_present(puller, image, options, progress);
  } catch (const std::exception& e) {
    return unexpected(error(errc::internal, fmt::format("failed to pull image \"{}\": unexpected exception: {}", image, e.what())));
  } catch (...) {
    return unexpected(error(errc::internal, fmt::format("failed to pull image \"{}\": unexpected exception", image)));
  }
}

}  // namespace imagepull
