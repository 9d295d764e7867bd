/// @file progress.hpp
/// @brief Progress policies for pull_image: what to do with each message of the pull stream.
#pragma once

#include "imagepull/jsonmessage.hpp"

#include <ostream>

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

/// @brief Docker's non-terminal display: status lines, no progress-only updates, no aux.
class plain {
public:
  /// @brief Writes to out, which must outlive the policy.
  explicit plain(std::ostream& out) noexcept : out_(&out) {}

  void on_message(const json_message& m) const {
    if (m.aux) return;  // results for programs, not for people
    const auto& p = m.progress_detail;
    if (p && (p->current > 0 || p->total > 0)) return;  // a bar redraw: meaningless without a terminal
    auto& out = *out_;
    if (!m.id.empty()) out << m.id << ": ";
    if (!m.from.empty()) out << "(from " << m.from << ") ";
    if (!m.progress.empty())
      out << m.status << ' ' << m.progress;  // Docker ends this one without a newline, too
    else if (!m.stream.empty())
      out << m.stream;
    else
      out << m.status << '\n';
  }

private:
  std::ostream* out_;
};

}  // namespace progress
}  // namespace imagepull
