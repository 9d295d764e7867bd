/// @file jsonmessage.hpp
/// @brief The daemon's pull-stream messages and an incremental, bounded-memory decoder for them.
#pragma once

#include "imagepull/config.hpp"
#include "imagepull/daemon_error.hpp"
#include "imagepull/detail/json_fields.hpp"
#include "imagepull/error.hpp"

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace imagepull {

/// @brief `progressDetail`: byte counts of one layer's download or extraction.
struct json_progress {
  std::int64_t current = 0;
  std::int64_t total = 0;
  std::int64_t start = 0;  ///< Unix seconds when the transfer started; 0 when unknown
  std::string units{};       ///< empty means bytes
  bool hide_counts = false;
  friend bool operator==(const json_progress&, const json_progress&) = default;
};

/// @brief `errorDetail`: an error the daemon reports inside the stream.
struct json_error {
  int code = 0;  ///< an HTTP status, 0 when the daemon gave none
  std::string message{};
  friend bool operator==(const json_error&, const json_error&) = default;
};

/// @brief One line of a pull stream, as the Docker CLI's jsonmessage reads it.
struct json_message {
  std::string stream{};
  std::string status{};
  std::string progress{};  ///< the daemon's pre-rendered bar (deprecated by Docker, still sent)
  std::string id{};
  std::string from{};
  std::optional<json_progress> progress_detail{};
  std::optional<json_error> error_detail{};
  std::string error_message{};  ///< the `error` field
  std::int64_t time = 0;
  std::int64_t time_nano = 0;
  std::optional<std::string> aux{};  ///< raw JSON text of `aux`, as Go's json.RawMessage keeps it
  friend bool operator==(const json_message&, const json_message&) = default;

  /// @brief The error this message carries: `errorDetail` or a non-empty `error` string.
  /// Stricter than the Docker CLI, which looks at errorDetail only.
  std::optional<error> failure() const {
    if (!error_detail && error_message.empty()) return std::nullopt;
    const int code = error_detail ? error_detail->code : 0;
    std::string text = error_detail && !error_detail->message.empty() ? error_detail->message : error_message;
    if (text.empty()) text = "the daemon reported an error without a message";
    return daemon_error(code, std::move(text));
  }
};

namespace detail {

inline std::optional<std::string> read_progress(std::string_view key, const ordered_json& value, json_progress& out) {
  if (auto problem = read_object(key, value)) return problem;
  return field_reader(value).each([&](std::string_view k, const ordered_json& v) {
    return read_field(k, v, field("current", out.current),
                      field("total", out.total),
                      field("start", out.start),
                      field("units", out.units),
                      field("hidecounts", out.hide_counts));
  });
}

inline std::optional<std::string> read_error(std::string_view key, const ordered_json& value, json_error& out) {
  if (auto problem = read_object(key, value)) return problem;
  return field_reader(value).each([&](std::string_view k, const ordered_json& v) {
    return read_field(k, v, field("code", out.code),
                      field("message", out.message));
  });
}

inline std::optional<std::string> read_message(const ordered_json& object, json_message& out) {
  return field_reader(object).each([&](std::string_view key, const ordered_json& value) -> std::optional<std::string> {
    if (equals_ignoring_case(key, "progressDetail")) return read_progress(key, value, out.progress_detail.emplace());
    if (equals_ignoring_case(key, "errorDetail")) return read_error(key, value, out.error_detail.emplace());
    if (equals_ignoring_case(key, "aux")) {
      out.aux = value.dump();
      return std::nullopt;
    }
    return read_field(key, value, field("stream", out.stream),
                      field("status", out.status),
                      field("progress", out.progress),
                      field("id", out.id),
                      field("from", out.from),
                      field("error", out.error_message),
                      field("time", out.time),
                      field("timeNano", out.time_nano));
  });
}

// Only asked for after a parse failed, to say why without exceptions.
class syntax_error_reader final : public nlohmann::json_sax<ordered_json> {
public:
  std::string reason = "not valid JSON";
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
    reason = ex.what();
    return false;
  }
};

}  // namespace detail

namespace detail {

/// @brief Deepest nesting of arrays and objects accepted in a message; real ones reach 3.
inline constexpr std::size_t max_json_depth = 64;

// True when brackets nest deeper than limit outside strings. Checked before parsing because
// printing a value again (aux) recurses once per level: a hostile line must not reach that.
inline bool nests_deeper_than(std::string_view text, std::size_t limit) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

}  // namespace detail

/// @brief Parses one line of a pull stream; the error says what is wrong with it.
/// The message's own failure() is not checked here.
inline expected<json_message, std::string> parse_json_message(std::string_view line) {
  if (detail::nests_deeper_than(line, detail::max_json_depth))
    return unexpected(fmt::format("nested deeper than {} levels", detail::max_json_depth));
  auto object = detail::ordered_json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) {
    detail::syntax_error_reader reader;
    detail::ordered_json::sax_parse(line, &reader, nlohmann::detail::input_format_t::json, true, false);
    return unexpected(std::move(reader.reason));
  }
  if (!object.is_object()) return unexpected(std::string{"not a JSON object"});
  json_message message;
  if (auto problem = detail::read_message(object, message)) return unexpected(std::move(*problem));
  return message;
}

/// @brief Splits a pull stream, fed in chunks cut anywhere, into messages.
///
/// Lines end in "\n" or "\r\n"; blank lines are skipped. The first malformed line, over-long
/// line or message carrying an error ends decoding: feed returns that error, and so does every
/// later call. Memory is bounded by the longest line, never by the stream.
class message_decoder {
public:
  /// @brief A decoder that refuses lines longer than max_line bytes.
  explicit message_decoder(std::size_t max_line = IMAGEPULL_MAX_MESSAGE_LINE) : max_line_(max_line) {}

  /// @brief Decodes what chunk completes, calling on_message(const json_message&) per message.
  template <class OnMessage>
    requires std::invocable<OnMessage&, const json_message&>
  expected<void, error> feed(std::string_view chunk, OnMessage&& on_message) {
    if (failed_) return unexpected(*failed_);
    while (!chunk.empty()) {
      const auto newline = chunk.find('\n');
      if (newline == std::string_view::npos) {
        if (pending_.size() + chunk.size() > max_line_) return fail(too_long(lines_ + 1));
        pending_.append(chunk);
        break;
      }
      auto line = chunk.substr(0, newline);
      chunk.remove_prefix(newline + 1);
      if (!pending_.empty()) {  // the line began in an earlier chunk
        pending_.append(line);
        line = pending_;
      }
      auto handled = handle_line(line, on_message);
      pending_.clear();
      if (!handled) return handled;
    }
    return {};
  }

  /// @brief Ends the stream. A last line without its newline counts when it is a whole message
  /// (as for Go's decoder, which needs no newline); a partial one means the stream was cut short.
  template <class OnMessage>
    requires std::invocable<OnMessage&, const json_message&>
  expected<void, error> finish(OnMessage&& on_message) {
    if (failed_) return unexpected(*failed_);
    if (pending_.find_first_not_of(" \t\r") == std::string::npos) return {};
    if (!parse_json_message(pending_))
      return fail(error(errc::data_loss, fmt::format("pull stream ended in the middle of line {} "
                                                     "({} bytes without a newline)",
                                                     lines_ + 1, pending_.size())));
    const std::string last = std::exchange(pending_, {});
    return handle_line(last, on_message);
  }

  /// @brief How many lines have been completed so far.
  std::size_t lines() const noexcept { return lines_; }

private:
  template <class OnMessage>
  expected<void, error> handle_line(std::string_view line, OnMessage& on_message) {
    ++lines_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_line_) return fail(too_long(lines_));
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return {};
    auto message = parse_json_message(line);
    if (!message)
      return fail(error(errc::data_loss, fmt::format("pull stream line {} is malformed: {}", lines_, message.error())));
    if (auto failure = message->failure()) return fail(std::move(*failure));
    on_message(std::as_const(*message));
    return {};
  }

  error too_long(std::size_t line_number) const {
    return error(errc::resource_exhausted,
                 fmt::format("pull stream line {} is longer than {} bytes", line_number, max_line_));
  }

  unexpected<error> fail(error e) {
    failed_ = e;
    return unexpected(std::move(e));
  }

  std::string pending_;
  std::size_t max_line_;
  std::size_t lines_ = 0;
  std::optional<error> failed_;
};

}  // namespace imagepull
