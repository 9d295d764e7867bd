/// @file progress/format.hpp
/// @brief The texts Docker's progress display is made of: sizes, durations, timestamps and the
/// progress bar, each written exactly as the Docker CLI writes it.
#pragma once

#include "imagepull/jsonmessage.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace imagepull::progress {

/// @brief The clock the time-left estimate reads; an empty one reads std::chrono::system_clock.
using clock_function = std::function<std::chrono::system_clock::time_point()>;

/// @brief A size in decimal units with four significant digits: "512B", "36.45kB", "3.001MB".
/// The rule of go-units' HumanSize, which the Docker CLI uses.
inline std::string human_size(double bytes) {
  static constexpr std::array<std::string_view, 9> units{"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  std::size_t unit = 0;
  while (bytes >= 1000.0 && unit + 1 < units.size()) {
    bytes /= 1000.0;
    ++unit;
  }
  // {fmt}'s "g" is C's %g, which for these values writes what Go's %g writes.
  return fmt::format("{:.4g}{}", bytes, units[unit]);
}

/// @brief A whole number of seconds as Go's time.Duration.String() writes it:
/// "0s", "45s", "1m5s", "2h0m0s", "-3s".
inline std::string duration_text(std::chrono::seconds duration) {
  const std::int64_t count = duration.count();
  // The magnitude as unsigned, so that the most negative count has one too.
  const std::uint64_t total = count < 0 ? 0 - static_cast<std::uint64_t>(count) : static_cast<std::uint64_t>(count);
  const std::string_view sign = count < 0 ? "-" : "";
  const std::uint64_t hours = total / 3600, minutes = total / 60 % 60, seconds = total % 60;
  if (hours > 0) return fmt::format("{}{}h{}m{}s", sign, hours, minutes, seconds);
  if (minutes > 0) return fmt::format("{}{}m{}s", sign, minutes, seconds);
  return fmt::format("{}{}s", sign, seconds);
}

namespace detail {

inline constexpr std::int64_t nanos_per_second = 1'000'000'000;
inline constexpr std::int64_t seconds_per_day = 86'400;
inline constexpr int bar_cells = 50;       // two percent per cell
inline constexpr int bar_from_width = 111;  // Docker draws the bar when the width exceeds 110
inline constexpr int time_left_from_width = 51;

// Division rounding toward negative infinity, for splitting times before 1970.
inline std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

struct civil_date {
  std::int64_t year;
  int month;
  int day;
};

// Days since 1970-01-01 to a proleptic Gregorian date, in whole 400-year eras so that any
// 64-bit day count works (Howard Hinnant's civil_from_days).
inline civil_date civil_from_days(std::int64_t days) noexcept {
  days += 719'468;  // from 0000-03-01, which makes the leap day the last day of a year
  const std::int64_t era = floor_div(days, 146'097);
  const std::int64_t day_of_era = days - era * 146'097;
  const std::int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const std::int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t shifted_month = (5 * day_of_year + 2) / 153;
  const int day = static_cast<int>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  const int month = static_cast<int>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

// The filled cells of the bar: Docker's int(current/total*100)/2, at most 50. The clamp keeps
// the conversion defined where Docker's own result depends on the platform.
inline int filled_cells(const json_progress& p) noexcept {
  const double percent = static_cast<double>(p.current) / static_cast<double>(p.total) * 100;
  return std::min(static_cast<int>(std::clamp(percent, -200.0, 200.0)) / 2, bar_cells);
}

inline bool shows_time_left(const json_progress& p, int cells, int width) noexcept {
  return p.current > 0 && p.start > 0 && cells < bar_cells && width >= time_left_from_width;
}

// now - start in nanoseconds as Go's Time.Sub gives it: exact, or the nearest int64 bound.
inline std::int64_t elapsed_nanos(std::chrono::system_clock::time_point now, std::int64_t start_seconds) noexcept {
  constexpr auto lowest = std::numeric_limits<std::int64_t>::min(), highest = std::numeric_limits<std::int64_t>::max();
  const auto now_nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const std::int64_t now_seconds = floor_div(now_nanos, nanos_per_second);
  std::int64_t fraction = now_nanos - now_seconds * nanos_per_second;
  std::int64_t seconds = 0;
  if (__builtin_sub_overflow(now_seconds, start_seconds, &seconds)) return lowest;
  if (seconds < 0 && fraction > 0) {  // both parts of one sign, so an overflow means out of range
    ++seconds;
    fraction -= nanos_per_second;
  }
  std::int64_t nanos = 0;
  if (__builtin_mul_overflow(seconds, nanos_per_second, &nanos) || __builtin_add_overflow(nanos, fraction, &nanos))
    return seconds < 0 ? lowest : highest;
  return nanos;
}

// Docker's estimate: the time per unit so far, times the units left, cut to whole seconds.
// Go's int64 products wrap, so these do too.
inline std::chrono::seconds time_left(const json_progress& p, std::chrono::system_clock::time_point now) noexcept {
  const std::int64_t per_unit = elapsed_nanos(now, p.start) / p.current;
  const auto left = static_cast<std::int64_t>(static_cast<std::uint64_t>(p.total - p.current) *
                                              static_cast<std::uint64_t>(per_unit));
  return std::chrono::seconds{left / nanos_per_second};
}

// "%8v" of the size, or the count and its units.
inline void append_current(std::string& out, const json_progress& p) {
  if (p.units.empty())
    fmt::format_to(std::back_inserter(out), "{:>8}", human_size(static_cast<double>(p.current)));
  else
    fmt::format_to(std::back_inserter(out), "{} {}", p.current, p.units);
}

inline void append_current_of_total(std::string& out, const json_progress& p) {
  if (p.units.empty())
    fmt::format_to(std::back_inserter(out), "{:>8}/{}", human_size(static_cast<double>(p.current)),
                   human_size(static_cast<double>(p.total)));
  else
    fmt::format_to(std::back_inserter(out), "{}/{} {}", p.current, p.total, p.units);
}

}  // namespace detail

/// @brief Unix time as Docker's RFC3339NanoFixed, in UTC: "2024-05-01T12:00:00.000000000Z".
/// The Docker CLI writes local time; UTC makes the output the same on every machine.
inline std::string timestamp_text(std::int64_t seconds, std::int64_t nanos = 0) {
  const std::int64_t carry = detail::floor_div(nanos, detail::nanos_per_second);
  seconds += carry;
  nanos -= carry * detail::nanos_per_second;
  const std::int64_t days = detail::floor_div(seconds, detail::seconds_per_day);
  const std::int64_t second_of_day = seconds - days * detail::seconds_per_day;
  const auto date = detail::civil_from_days(days);
  // Go writes the year with at least four digits after its sign: "0999", "-0044", "12345".
  const std::uint64_t year = date.year < 0 ? 0 - static_cast<std::uint64_t>(date.year) : static_cast<std::uint64_t>(date.year);
  return fmt::format("{}{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", date.year < 0 ? "-" : "", year, date.month,
                     date.day, second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60, nanos);
}

/// @brief Whether progress_text(p, width) is empty: nothing to count, or counts hidden with no
/// room for the bar and no time left to show. Docker's non-terminal mode prints such a message.
inline bool progress_text_empty(const json_progress& p, int width) noexcept {
  if (p.current <= 0 && p.total <= 0) return true;
  if (p.total <= 0) return false;
  return width < detail::bar_from_width && p.hide_counts && !detail::shows_time_left(p, detail::filled_cells(p), width);
}

/// @brief Appends JSONProgress.String(): "[=====>     ]  12.3MB/45.6MB 4s", the bar only when
/// width > 110, the time left only when width > 50 and the start is known.
inline void append_progress_text(std::string& out, const json_progress& p, int width, const clock_function& now = {}) {
  if (p.current <= 0 && p.total <= 0) return;
  if (p.total <= 0) {  // no total, so no bar: the count alone
    detail::append_current(out, p);
    return;
  }
  const int cells = detail::filled_cells(p);
  if (width >= detail::bar_from_width) {
    const int filled = std::max(cells, 0);  // Docker panics on a negative current here
    out += '[';
    out.append(static_cast<std::size_t>(filled), '=');
    out += '>';
    out.append(static_cast<std::size_t>(detail::bar_cells - filled), ' ');
    out += "] ";
  }
  if (!p.hide_counts) {
    if (p.current > p.total)  // a wonky current: Docker leaves the total out
      detail::append_current(out, p);
    else
      detail::append_current_of_total(out, p);
  }
  if (detail::shows_time_left(p, cells, width)) {
    out += ' ';
    out += duration_text(detail::time_left(p, now ? now() : std::chrono::system_clock::now()));
  }
}

/// @brief JSONProgress.String() as a string; see append_progress_text.
inline std::string progress_text(const json_progress& p, int width, const clock_function& now = {}) {
  std::string out;
  append_progress_text(out, p, width, now);
  return out;
}

}  // namespace imagepull::progress
