/// @file progress/tty.hpp
/// @brief Is a file descriptor a terminal, and how wide is it.
#pragma once

#include <optional>

#include <sys/ioctl.h>
#include <unistd.h>

namespace imagepull::progress {

/// @brief Whether fd is a terminal (isatty), as the Docker CLI decides between its two displays.
inline bool is_terminal(int fd) noexcept { return ::isatty(fd) == 1; }

/// @brief The width of the terminal on fd in columns (TIOCGWINSZ), or nullopt when fd is no
/// terminal. A terminal may answer 0 when nobody set its size.
inline std::optional<int> terminal_width(int fd) noexcept {
  ::winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) != 0) return std::nullopt;
  return size.ws_col;
}

}  // namespace imagepull::progress
