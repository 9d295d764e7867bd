/// @file progress/policy.hpp
/// @brief The ProgressPolicy concept and the policy that shows nothing.
#pragma once

#include "imagepull/jsonmessage.hpp"

namespace imagepull {

/// @brief A progress policy: anything with on_message(const json_message&).
/// It sees every message except the one carrying the pull's error, which ends the pull.
template <class P>
concept ProgressPolicy = requires(P& policy, const json_message& message) { policy.on_message(message); };

namespace progress {

/// @brief Shows nothing.
struct silent {
  void on_message(const json_message&) const noexcept {}
};

static_assert(ProgressPolicy<silent>);

}  // namespace progress
}  // namespace imagepull
