/// @file progress/events.hpp
/// @brief The pull stream as typed events for programs: a callback policy, and an aggregate
/// policy that sums all layers into one byte count and percentage.
#pragma once

#include "imagepull/jsonmessage.hpp"
#include "imagepull/progress/layer_map.hpp"
#include "imagepull/progress/policy.hpp"

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace imagepull::progress {

/// @brief Where a layer is in its pull, from the daemon's status text.
enum class layer_phase {
  waiting,            ///< "Pulling fs layer", "Waiting": queued
  downloading,        ///< "Downloading"
  verifying,          ///< "Verifying Checksum"
  download_complete,  ///< "Download complete"
  extracting,         ///< "Extracting"
  complete,           ///< "Pull complete"
  already_exists,     ///< "Already exists": nothing to pull
  other,              ///< anything else, such as "Retrying in 5 seconds"
};

/// @brief A layer's progress. Its views are valid during the callback only.
struct layer_event {
  std::string_view id;      ///< the layer's short id, "a3ed95caeb02"
  layer_phase phase = layer_phase::other;
  std::string_view status;  ///< the daemon's text, for layer_phase::other
  std::int64_t current = 0;  ///< bytes done in this phase, 0 when not known
  std::int64_t total = 0;    ///< bytes in this phase, 0 when not known
};

/// @brief The image's digest ("Digest: sha256:…"), near the end of a pull.
struct digest_event {
  std::string_view digest;  ///< "sha256:…"
};

/// @brief The pull's final status ("Status: …").
struct status_event {
  std::string_view status;  ///< "Downloaded newer image for postgres:16", "Image is up to date for …"
};

/// @brief Out-of-band data for programs (`aux`), never printed.
struct aux_event {
  std::string_view json;  ///< the raw JSON text of `aux`
};

/// @brief Any other message: "Pulling from library/postgres", Podman's "Trying to pull …", a stream line.
struct other_event {
  const json_message* message;
};

/// @brief What one message of a pull stream means to a program.
using event = std::variant<layer_event, digest_event, status_event, aux_event, other_event>;

/// @brief The phase a layer status names; layer_phase::other for one it does not know.
inline layer_phase phase_of(std::string_view status) noexcept {
  static constexpr std::array<std::pair<std::string_view, layer_phase>, 8> phases{{
      {"Pulling fs layer", layer_phase::waiting},
      {"Waiting", layer_phase::waiting},
      {"Downloading", layer_phase::downloading},
      {"Verifying Checksum", layer_phase::verifying},
      {"Download complete", layer_phase::download_complete},
      {"Extracting", layer_phase::extracting},
      {"Pull complete", layer_phase::complete},
      {"Already exists", layer_phase::already_exists},
  }};
  const auto found = std::find_if(phases.begin(), phases.end(), [&](const auto& p) { return p.first == status; });
  return found == phases.end() ? layer_phase::other : found->second;
}

/// @brief The event a message is. A message with an id is a layer's when it carries progress
/// or names a layer phase; "Pulling from …" carries the tag as its id and is an other_event.
inline event classify(const json_message& m) {
  if (m.aux) return aux_event{*m.aux};
  const std::string_view status = m.status;
  if (!m.id.empty()) {
    const layer_phase phase = phase_of(status);
    if (m.progress_detail || phase != layer_phase::other) {
      const json_progress none{};
      const json_progress& p = m.progress_detail ? *m.progress_detail : none;
      return layer_event{m.id, phase, status, p.current, p.total};
    }
  } else if (status.starts_with("Digest: ")) {
    return digest_event{status.substr(8)};
  } else if (status.starts_with("Status: ")) {
    return status_event{status.substr(8)};
  }
  return other_event{&m};
}

/// @brief Calls f(const event&) for every message.
template <class F>
  requires std::invocable<F&, const event&>
class callback {
public:
  /// @brief A policy calling f.
  explicit callback(F f) : f_(std::move(f)) {}

  void on_message(const json_message& m) {
    const event e = classify(m);
    std::invoke(f_, e);
  }

private:
  F f_;
};

/// @brief All layers together: bytes done of bytes known, and how many layers are finished.
struct totals {
  std::int64_t current = 0;  ///< bytes done, summed over the layers
  std::int64_t total = 0;    ///< the layers' sizes, summed over those whose size is known
  std::size_t layers = 0;    ///< layers seen
  std::size_t finished = 0;  ///< layers pulled or already present
  friend bool operator==(const totals&, const totals&) = default;

  /// @brief current / total in percent, 0 while no size is known. A pull whose layers all
  /// exist already has nothing to count: it stays at 0 with finished == layers.
  double percent() const noexcept {
    return total > 0 ? 100.0 * static_cast<double>(current) / static_cast<double>(total) : 0.0;
  }
};

namespace detail {

struct ignore_totals {
  void operator()(const totals&) const noexcept {}
};

// No real layer comes near this; the cap keeps the sums of up to max_layers far from overflow.
inline constexpr std::int64_t max_layer_bytes = std::int64_t{1} << 50;

}  // namespace detail

/// @brief Sums all layers into one byte count and percentage (which the Docker CLI does not
/// show), calling on_change(const totals&) whenever they change.
///
/// A layer's download and extraction both count its compressed bytes, so each layer counts
/// once: its size is the largest total seen for it, its bytes done the largest current (at
/// most its size). A layer whose download is complete counts fully; one that already exists
/// has no size and counts as finished only. Layers beyond 4096 are not counted.
template <class OnChange = detail::ignore_totals>
  requires std::invocable<OnChange&, const totals&>
class aggregate {
public:
  /// @brief A policy calling on_change after every change.
  explicit aggregate(OnChange on_change = {}) : on_change_(std::move(on_change)) {}

  void on_message(const json_message& m) {
    if (const auto e = classify(m); const auto* layer = std::get_if<layer_event>(&e)) update(*layer);
  }

  /// @brief The sums so far.
  const totals& state() const noexcept { return totals_; }

private:
  struct layer_state {
    std::int64_t current = 0;
    std::int64_t total = 0;
    bool finished = false;
    std::int64_t counted() const noexcept { return std::min(current, total); }
  };

  void update(const layer_event& e) {
    const totals before = totals_;
    auto found = layers_.find(e.id);
    if (found == layers_.end()) {
      if (layers_.size() == detail::max_layers) return;
      found = layers_.emplace(std::string(e.id), layer_state{}).first;
      ++totals_.layers;
    }
    layer_state& layer = found->second;
    totals_.current -= layer.counted();
    totals_.total -= layer.total;
    layer.total = std::clamp(e.total, layer.total, detail::max_layer_bytes);
    layer.current = std::clamp(e.current, layer.current, detail::max_layer_bytes);
    const bool downloaded = e.phase == layer_phase::download_complete || e.phase == layer_phase::extracting ||
                            e.phase == layer_phase::complete;
    if (downloaded) layer.current = std::max(layer.current, layer.total);
    if (!layer.finished && (e.phase == layer_phase::complete || e.phase == layer_phase::already_exists)) {
      layer.finished = true;
      ++totals_.finished;
    }
    totals_.current += layer.counted();
    totals_.total += layer.total;
    if (totals_ != before) std::invoke(on_change_, std::as_const(totals_));
  }

  OnChange on_change_;
  detail::layer_map<layer_state> layers_;
  totals totals_;
};

static_assert(ProgressPolicy<callback<std::function<void(const event&)>>> && ProgressPolicy<aggregate<>>);

}  // namespace imagepull::progress
