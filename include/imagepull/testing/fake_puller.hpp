/// @file testing/fake_puller.hpp
/// @brief A fake ImagePuller for your own tests: set its behaviour, then read what it was asked.
#pragma once

#include "imagepull/error.hpp"
#include "imagepull/puller.hpp"
#include "imagepull/reference.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imagepull::testing {

/// @brief One call the fake received.
struct recorded_call {
  std::string method{};  ///< "image_inspect" or "image_pull"
  reference ref;
  std::string platform{};  ///< image_pull only
};

/// @brief A puller whose answers come from function-typed fields. Not thread-safe.
///
/// An unset field answers with a not_implemented error, so a test that forgot to set one
/// fails loudly instead of passing by accident.
struct fake_puller {
  std::function<expected<image_info, error>(const reference&)> inspect;
  std::function<expected<void, error>(const reference&, const pull_options&, const chunk_sink&)> pull;
  std::vector<recorded_call> calls{};

  expected<image_info, error> image_inspect(const reference& ref) {
    calls.push_back({"image_inspect", ref, {}});
    if (!inspect) return unexpected(error(errc::not_implemented, "fake_puller.inspect is not set"));
    return inspect(ref);
  }

  expected<void, error> image_pull(const reference& ref, const pull_options& options, const chunk_sink& sink) {
    calls.push_back({"image_pull", ref, options.platform});
    if (!pull) return unexpected(error(errc::not_implemented, "fake_puller.pull is not set"));
    return pull(ref, options, sink);
  }

  /// @brief How many calls of method were made.
  std::size_t count(std::string_view method) const {
    std::size_t n = 0;
    for (const auto& call : calls) n += call.method == method;
    return n;
  }
};

static_assert(ImagePuller<fake_puller>);

/// @brief An inspect behaviour: the image is present with this id.
inline auto present(std::string id) {
  return [id = std::move(id)](const reference&) -> expected<image_info, error> { return image_info{.id = id}; };
}

/// @brief An inspect behaviour: the daemon answers 404, as Docker does for a missing image.
inline auto missing() {
  return [](const reference& ref) -> expected<image_info, error> {
    return unexpected(error(http_error_code(404), "No such image: " + ref.to_string()));
  };
}

/// @brief A pull behaviour: the daemon sends these chunks, then ends the stream successfully.
inline auto streams(std::vector<std::string> chunks) {
  return [chunks = std::move(chunks)](const reference&, const pull_options&,
                                      const chunk_sink& sink) -> expected<void, error> {
    for (const auto& chunk : chunks) sink(chunk);
    return {};
  };
}

}  // namespace imagepull::testing
