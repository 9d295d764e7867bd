/// @file progress/display.hpp
/// @brief The Docker CLI's progress display, byte for byte: terminal mode (a line per layer,
/// redrawn in place) and non-terminal mode (status lines only).
#pragma once

#include "imagepull/jsonmessage.hpp"
#include "imagepull/progress/format.hpp"
#include "imagepull/progress/layer_map.hpp"
#include "imagepull/progress/policy.hpp"
#include "imagepull/progress/tty.hpp"

#include <cstddef>
#include <iterator>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace imagepull::progress {

/// @brief How a display writes: which mode, how wide, and which clock the time left reads.
struct display_options {
  bool terminal = false;  ///< terminal mode: cursor movement, progress bars, lines redrawn in place
  int width = 200;        ///< columns, used when width_fd is negative
  int width_fd = -1;      ///< when not negative, the width is read from this descriptor at every
                          ///< progress line, as Docker does, and is 200 when it is no terminal
  clock_function now{};   ///< for the time left; empty reads std::chrono::system_clock
};

/// @brief Writes a pull stream as the Docker CLI does (DisplayJSONMessagesStream), flushing
/// after each message as Docker's unbuffered writes do.
///
/// Deviations, all outside what a daemon sends: times are written in UTC where Docker writes
/// local time; a bar for a negative current is drawn empty where Docker panics; after 4096 layer
/// lines without a message that resets them, the lines start over.
class display {
public:
  /// @brief A display writing to out, which must outlive it.
  explicit display(std::ostream& out, display_options options = {})
      : out_(&out), options_(std::move(options)) {}

  /// @brief Writes one message; aux messages are for programs and are not shown.
  void on_message(const json_message& m) {
    if (m.aux) return;
    buffer_.clear();
    // A layer's progress line is kept in place; anything else ends the current set of lines,
    // so that a later pull's layers (pull -a) are not drawn over an earlier one's.
    const bool layer_line = !m.id.empty() && (m.progress_detail || !m.progress.empty());
    std::size_t lines_up = 0;
    if (!layer_line)
      lines_.clear();
    else if (options_.terminal)
      lines_up = go_to_line_of(m.id);
    append_message(m);
    if (!m.id.empty() && options_.terminal) append_cursor(lines_up, 'B');
    out_->write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    out_->flush();
  }

private:
  // Moves the cursor up to the line of id, opening a new line below the others for a new id.
  std::size_t go_to_line_of(std::string_view id) {
    auto found = lines_.find(id);
    if (found == lines_.end()) {
      if (lines_.size() == detail::max_layers) lines_.clear();
      found = lines_.emplace(std::string(id), lines_.size()).first;
      buffer_ += '\n';
    }
    const std::size_t up = lines_.size() - found->second;
    append_cursor(up, 'A');
    return up;
  }

  void append_cursor(std::size_t lines, char direction) {
    if (lines > 0) fmt::format_to(std::back_inserter(buffer_), "\x1b[{}{}", lines, direction);
  }

  int width() const noexcept {
    return options_.width_fd < 0 ? options_.width : terminal_width(options_.width_fd).value_or(200);
  }

  // JSONMessage.Display.
  void append_message(const json_message& m) {
    const auto& p = m.progress_detail;
    const int columns = p ? width() : 0;  // the width matters only with progress
    std::string_view end_of_line;
    if (options_.terminal && m.stream.empty() && p) {
      buffer_ += "\x1b[2K\r";
      end_of_line = "\r";
    } else if (p && !progress_text_empty(*p, columns)) {
      return;  // a bar is for terminals, and never drawn beside a stream
    }
    if (m.time_nano != 0)
      buffer_.append(timestamp_text(0, m.time_nano)).append(" ");
    else if (m.time != 0)
      buffer_.append(timestamp_text(m.time)).append(" ");
    if (!m.id.empty()) buffer_.append(m.id).append(": ");
    if (!m.from.empty()) buffer_.append("(from ").append(m.from).append(") ");
    if (p && options_.terminal) {
      buffer_.append(m.status).append(" ");
      append_progress_text(buffer_, *p, columns, options_.now);
      buffer_.append(end_of_line);
    } else if (!m.progress.empty()) {  // the daemon's own rendering, deprecated but still sent
      buffer_.append(m.status).append(" ").append(m.progress).append(end_of_line);
    } else if (!m.stream.empty()) {
      buffer_.append(m.stream).append(end_of_line);
    } else {
      buffer_.append(m.status).append(end_of_line).append("\n");
    }
  }

  std::ostream* out_;
  display_options options_;
  detail::layer_map<std::size_t> lines_;  // id -> its line, counted from the first
  std::string buffer_;                    // one message's bytes, written at once
};

/// @brief Docker's terminal display at a given width (columns).
class terminal : public display {
public:
  /// @brief Writes to out, which must outlive the policy; now is the clock for the time left.
  explicit terminal(std::ostream& out, int width = 200, clock_function now = {})
      : display(out, {.terminal = true, .width = width, .width_fd = -1, .now = std::move(now)}) {}
};

/// @brief Docker's non-terminal display: status lines, no progress-only updates, no aux.
class plain : public display {
public:
  /// @brief Writes to out, which must outlive the policy. The width decides only whether a
  /// message with hidden counts is printed; Docker's is 200 when its output is no terminal.
  explicit plain(std::ostream& out, int width = 200)
      : display(out, {.terminal = false, .width = width, .width_fd = -1, .now = {}}) {}
};

/// @brief The display the Docker CLI would choose for fd: terminal mode when fd is a terminal,
/// non-terminal otherwise, with the width read from fd at each progress line.
inline display for_fd(std::ostream& out, int fd, clock_function now = {}) {
  return display(out, {.terminal = is_terminal(fd), .width = 200, .width_fd = fd, .now = std::move(now)});
}

static_assert(ProgressPolicy<display> && ProgressPolicy<terminal> && ProgressPolicy<plain>);

}  // namespace imagepull::progress
