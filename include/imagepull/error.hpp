/// @file error.hpp
/// @brief The error chain: errc conditions, domain categories, error, wrap/join, is/is_not_found, resolve.
///
/// Standard `std::error_code`/`std::error_condition` do the matching that Go's errors.Is
/// and containerd's errdefs re-invent: a code lives in a domain category (HTTP status,
/// registry error code, errno) and compares equal to the errc condition it means.
/// `error` strings such codes into an immutable chain (or tree, with join) that `is`
/// walks from end to end, so a not-found wrapped at any depth is still a not-found.
#pragma once

#include "imagepull/config.hpp"

#include <cerrno>
#include <cstddef>
#include <memory>
#include <optional>
#include <source_location>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

/// @brief Every errc, in declaration order; expands X(name) once per condition.
#define IMAGEPULL_ERRC_LIST(X)                                                                    \
  X(not_found) X(already_exists) X(invalid_argument) X(unauthorized) X(permission_denied)        \
  X(conflict) X(not_modified) X(unavailable) X(canceled) X(deadline_exceeded) X(not_implemented) \
  X(internal) X(data_loss) X(resource_exhausted) X(failed_precondition) X(aborted)               \
  X(out_of_range) X(unknown)

namespace imagepull {

/// @brief The errdefs vocabulary: what an error means, whatever domain it came from.
enum class errc : int {
  not_found = 1,  // 0 is "no error" for std::error_condition
  already_exists,
  invalid_argument,
  unauthorized,
  permission_denied,
  conflict,
  not_modified,
  unavailable,
  canceled,
  deadline_exceeded,
  not_implemented,
  internal,
  data_loss,
  resource_exhausted,
  failed_precondition,
  aborted,
  out_of_range,
  unknown,
};

/// @brief The errc's name as written in code ("not_found").
constexpr std::string_view to_string(errc c) noexcept {
  constexpr std::string_view names[] = {
#define IMAGEPULL_ERRC_NAME(name) #name,
      IMAGEPULL_ERRC_LIST(IMAGEPULL_ERRC_NAME)
#undef IMAGEPULL_ERRC_NAME
  };
  static_assert(std::size(names) == static_cast<std::size_t>(errc::unknown), "errc and IMAGEPULL_ERRC_LIST differ");
  const auto i = static_cast<std::size_t>(c);
  return i >= 1 && i <= std::size(names) ? names[i - 1] : std::string_view{"invalid errc"};
}

/// @brief Registry error codes of the OCI distribution spec (the `code` of its error bodies).
enum class registry_errc : int {
  blob_unknown = 1,
  blob_upload_invalid,
  blob_upload_unknown,
  digest_invalid,
  manifest_blob_unknown,
  manifest_invalid,
  manifest_unknown,
  manifest_unverified,
  name_invalid,
  name_unknown,
  size_invalid,
  tag_invalid,
  unauthorized,
  denied,
  unsupported,
  toomanyrequests,
};

namespace detail {

struct registry_code_info {
  registry_errc code;
  std::string_view name;  // as on the wire
  errc meaning;
};

// The distribution spec gives each code an HTTP status; the condition follows from it.
inline constexpr registry_code_info registry_codes[] = {
    {registry_errc::blob_unknown, "BLOB_UNKNOWN", errc::not_found},
    {registry_errc::blob_upload_invalid, "BLOB_UPLOAD_INVALID", errc::invalid_argument},
    {registry_errc::blob_upload_unknown, "BLOB_UPLOAD_UNKNOWN", errc::not_found},
    {registry_errc::digest_invalid, "DIGEST_INVALID", errc::invalid_argument},
    {registry_errc::manifest_blob_unknown, "MANIFEST_BLOB_UNKNOWN", errc::not_found},
    {registry_errc::manifest_invalid, "MANIFEST_INVALID", errc::invalid_argument},
    {registry_errc::manifest_unknown, "MANIFEST_UNKNOWN", errc::not_found},
    {registry_errc::manifest_unverified, "MANIFEST_UNVERIFIED", errc::invalid_argument},
    {registry_errc::name_invalid, "NAME_INVALID", errc::invalid_argument},
    {registry_errc::name_unknown, "NAME_UNKNOWN", errc::not_found},
    {registry_errc::size_invalid, "SIZE_INVALID", errc::invalid_argument},
    {registry_errc::tag_invalid, "TAG_INVALID", errc::invalid_argument},
    {registry_errc::unauthorized, "UNAUTHORIZED", errc::unauthorized},
    {registry_errc::denied, "DENIED", errc::permission_denied},
    {registry_errc::unsupported, "UNSUPPORTED", errc::not_implemented},
    {registry_errc::toomanyrequests, "TOOMANYREQUESTS", errc::resource_exhausted},
};

inline const registry_code_info* find_registry_code(int value) noexcept {
  for (const auto& info : registry_codes)
    if (static_cast<int>(info.code) == value) return &info;
  return nullptr;
}

// containerd's errhttp mapping; any other status means nothing portable.
constexpr errc http_status_meaning(int status) noexcept {
  switch (status) {
    case 304: return errc::not_modified;
    case 400: return errc::invalid_argument;
    case 401: return errc::unauthorized;
    case 403: return errc::permission_denied;
    case 404: return errc::not_found;
    case 409: return errc::conflict;
    case 412: return errc::failed_precondition;
    case 429: return errc::resource_exhausted;
    case 500: return errc::internal;
    case 501: return errc::not_implemented;
    case 503: return errc::unavailable;
    default: return errc::unknown;
  }
}

// Only errno values whose meaning is unambiguous; the rest stay unclassified. ENOENT is left
// out on purpose: a missing socket, program or file is not a missing image, and is_not_found
// is what decides to pull.
constexpr std::optional<errc> errno_meaning(int value) noexcept {
  switch (value) {
    case EEXIST: return errc::already_exists;
    case EINVAL: return errc::invalid_argument;
    case EACCES:
    case EPERM: return errc::permission_denied;
    case ECONNREFUSED:
    case ECONNRESET:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENETDOWN: return errc::unavailable;
    case ETIMEDOUT: return errc::deadline_exceeded;
    case ECANCELED: return errc::canceled;
    case ENOSYS: return errc::not_implemented;
    case ENOSPC:
    case ENOMEM: return errc::resource_exhausted;
    case ERANGE: return errc::out_of_range;
    default: return std::nullopt;
  }
}

}  // namespace detail

/// @brief The condition category: names errc values and maps errno codes onto them.
/// Codes in this category (see to_error_code) are the library's own failures.
class condition_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "imagepull"; }
  std::string message(int value) const override {
    std::string text{to_string(static_cast<errc>(value))};
    for (char& ch : text)
      if (ch == '_') ch = ' ';
    return text;
  }
  bool equivalent(const std::error_code& code, int condition) const noexcept override;
};

/// @brief The singleton category of errc.
inline const std::error_category& condition_category() noexcept {
  static const condition_category_impl instance;
  return instance;
}

/// @brief HTTP statuses as error codes: 404 compares equal to errc::not_found, and so on.
class http_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "http"; }
  std::string message(int status) const override { return fmt::format("HTTP status {}", status); }
  std::error_condition default_error_condition(int status) const noexcept override {
    return {static_cast<int>(detail::http_status_meaning(status)), condition_category()};
  }
};

/// @brief The singleton category of HTTP status codes.
inline const std::error_category& http_category() noexcept {
  static const http_category_impl instance;
  return instance;
}

/// @brief Registry (distribution spec) error codes; MANIFEST_UNKNOWN compares equal to not_found.
class registry_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "registry"; }
  std::string message(int value) const override {
    const auto* info = detail::find_registry_code(value);
    return info ? std::string{info->name} : fmt::format("registry error {}", value);
  }
  std::error_condition default_error_condition(int value) const noexcept override {
    const auto* info = detail::find_registry_code(value);
    return {static_cast<int>(info ? info->meaning : errc::unknown), condition_category()};
  }
};

/// @brief The singleton category of registry error codes.
inline const std::error_category& registry_category() noexcept {
  static const registry_category_impl instance;
  return instance;
}

/// @brief Makes errc usable wherever a std::error_condition is expected.
inline std::error_condition make_error_condition(errc c) noexcept {
  return {static_cast<int>(c), condition_category()};
}

/// @brief Makes registry_errc usable wherever a std::error_code is expected.
inline std::error_code make_error_code(registry_errc c) noexcept {
  return {static_cast<int>(c), registry_category()};
}

/// @brief A code for the library's own failures that carries nothing but its meaning.
inline std::error_code to_error_code(errc c) noexcept {
  return {static_cast<int>(c), condition_category()};
}

/// @brief The code for an HTTP status.
inline std::error_code http_error_code(int status) noexcept { return {status, http_category()}; }

/// @brief The registry code for its wire name ("MANIFEST_UNKNOWN"), if it is one.
inline std::optional<registry_errc> parse_registry_errc(std::string_view name) noexcept {
  for (const auto& info : detail::registry_codes)
    if (info.name == name) return info.code;
  return std::nullopt;
}

/// @brief What a code means in the errc vocabulary, if anything.
inline std::optional<errc> condition_of(const std::error_code& code) noexcept {
  if (!code) return std::nullopt;
  if (code.category() == condition_category()) return static_cast<errc>(code.value());
  const auto cond = code.default_error_condition();
  if (cond.category() == condition_category()) return static_cast<errc>(cond.value());
  if (cond.category() == std::generic_category()) return detail::errno_meaning(cond.value());
  return std::nullopt;
}

inline bool condition_category_impl::equivalent(const std::error_code& code, int condition) const noexcept {
  const auto meaning = condition_of(code);
  return meaning && static_cast<int>(*meaning) == condition;
}

}  // namespace imagepull

template <>
struct std::is_error_condition_enum<imagepull::errc> : std::true_type {};
template <>
struct std::is_error_code_enum<imagepull::registry_errc> : std::true_type {};

namespace imagepull {

class error;

namespace detail {
struct error_node;
}

/// @brief A format string that also records where the error was made.
template <class... Args>
struct located_format {
  fmt::format_string<Args...> text;
  std::source_location where;

  template <class S>
    requires std::is_convertible_v<const S&, std::string_view>
  consteval located_format(const S& s, std::source_location w = std::source_location::current())
      : text(s), where(w) {}
};

/// @brief An immutable, cheap-to-copy error chain (or tree, after join).
///
/// Each link has a code (empty for pure context), its own message and where it was made.
/// Copies share the links; nothing in a chain can change after it is made.
class error {
public:
  /// @brief A root error: a code with a message.
  error(std::error_code code, std::string message,
        std::source_location where = std::source_location::current());
  /// @brief A root error with only a meaning.
  error(errc condition, std::string message, std::source_location where = std::source_location::current())
      : error(to_error_code(condition), std::move(message), where) {}

  /// @brief This link's code (empty for a link that only adds context).
  const std::error_code& code() const noexcept;
  /// @brief This link's own message, without its causes.
  const std::string& message() const noexcept;
  /// @brief Where this link was made.
  const std::source_location& where() const noexcept;
  /// @brief The links below this one: none for a root, one for a wrap, several for a join.
  std::span<const error> causes() const noexcept;
  /// @brief The full text, Go style: "outer: middle: root"; joined causes are separated by "; ".
  std::string what() const;

private:
  explicit error(std::shared_ptr<const detail::error_node> node) noexcept : node_(std::move(node)) {}
  friend error make_link(std::error_code, std::string, std::source_location, std::vector<error>);
  friend struct detail::error_node;

  std::shared_ptr<const detail::error_node> node_;
};

namespace detail {
struct error_node {
  std::error_code code;
  std::string message;
  std::source_location where;
  std::vector<error> causes;

  error_node(std::error_code c, std::string m, std::source_location w, std::vector<error> k)
      : code(c), message(std::move(m)), where(w), causes(std::move(k)) {}
  error_node(const error_node&) = delete;
  error_node& operator=(const error_node&) = delete;
  // Destroying a long chain link by link would recurse once per link; instead the links this
  // node alone owns are taken apart in a loop.
  ~error_node() {
    std::vector<std::shared_ptr<const error_node>> doomed;
    const auto adopt = [&doomed](std::vector<error>& links) {
      for (auto& link : links) doomed.push_back(std::move(link.node_));
    };
    adopt(causes);
    while (!doomed.empty()) {
      auto node = std::move(doomed.back());
      doomed.pop_back();
      // Sole owner: nobody else can reach this node any more, so its causes are ours to take.
      if (node && node.use_count() == 1) adopt(const_cast<error_node&>(*node).causes);
    }
  }
};
}  // namespace detail

/// @brief The general constructor of a link; wrap, join and error's constructors use it.
inline error make_link(std::error_code code, std::string message, std::source_location where,
                       std::vector<error> causes) {
  // Created mutable and held as const: the destructor may then take its causes apart.
  return error{std::make_shared<detail::error_node>(code, std::move(message), where, std::move(causes))};
}

inline error::error(std::error_code code, std::string message, std::source_location where)
    : error(make_link(code, std::move(message), where, {})) {}

inline const std::error_code& error::code() const noexcept { return node_->code; }
inline const std::string& error::message() const noexcept { return node_->message; }
inline const std::source_location& error::where() const noexcept { return node_->where; }
inline std::span<const error> error::causes() const noexcept { return node_->causes; }

inline std::string error::what() const {
  // A chain is walked in a loop, so its depth costs no stack; only joins recurse.
  // Links with an empty message (joins, bare codes) add no text and no separator.
  std::string text;
  const auto append = [&text](std::string_view part, std::string_view separator) {
    if (part.empty()) return;
    if (!text.empty()) text += separator;
    text += part;
  };
  const detail::error_node* node = node_.get();
  while (true) {
    append(node->message, ": ");
    if (node->causes.size() != 1) break;
    node = node->causes.front().node_.get();
  }
  std::string joined;
  for (const auto& cause : node->causes) {
    const auto part = cause.what();
    if (part.empty()) continue;
    if (!joined.empty()) joined += "; ";
    joined += part;
  }
  append(joined, ": ");
  return text;
}

/// @brief A root error whose message is formatted: make_error(code, "no {} here", x).
template <class... Args>
error make_error(std::error_code code, located_format<std::type_identity_t<Args>...> format, Args&&... args) {
  return make_link(code, fmt::format(format.text, std::forward<Args>(args)...), format.where, {});
}

/// @brief Adds a context link above cause: wrap(e, "failed to inspect image {}", ref).
template <class... Args>
error wrap(error cause, located_format<std::type_identity_t<Args>...> format, Args&&... args) {
  return make_link({}, fmt::format(format.text, std::forward<Args>(args)...), format.where, {std::move(cause)});
}

/// @brief Adds a link with its own code above cause; both codes stay visible to is().
template <class... Args>
error wrap(error cause, std::error_code code, located_format<std::type_identity_t<Args>...> format,
           Args&&... args) {
  return make_link(code, fmt::format(format.text, std::forward<Args>(args)...), format.where,
                   {std::move(cause)});
}

/// @brief An error argument that remembers where the call that took it was written.
struct located_error {
  error value;
  std::source_location where;
  // Implicit on purpose: the default argument is evaluated at the caller's conversion.
  located_error(error e, std::source_location w = std::source_location::current())  // NOLINT
      : value(std::move(e)), where(w) {}
};

/// @brief Joins several errors into one whose causes are all of them (Go's errors.Join).
template <class... More>
  requires(std::is_convertible_v<More, error> && ...)
error join(located_error first, More&&... more) {
  return make_link({}, {}, first.where, {std::move(first.value), error(std::forward<More>(more))...});
}

/// @brief Visits every link, depth-first and pre-order, until visit returns true.
/// @return true when visit stopped the walk.
template <class Visit>
bool visit_links(const error& root, Visit&& visit) {
  // An explicit stack: a chain wrapped many thousands deep must not exhaust the call stack.
  std::vector<std::pair<const error*, std::size_t>> pending{{&root, 0}};
  while (!pending.empty()) {
    const auto [link, depth] = pending.back();
    pending.pop_back();
    if (visit(*link, depth)) return true;
    const auto causes = link->causes();
    for (auto it = causes.rbegin(); it != causes.rend(); ++it) pending.emplace_back(&*it, depth + 1);
  }
  return false;
}

/// @brief True when any link's code compares equal to condition (Go's errors.Is over the tree).
inline bool is(const error& err, const std::error_condition& condition) {
  return visit_links(err, [&](const error& link, std::size_t) { return link.code() && link.code() == condition; });
}

/// @brief True when any link's code is exactly code.
inline bool is(const error& err, const std::error_code& code) {
  return visit_links(err, [&](const error& link, std::size_t) { return link.code() == code; });
}

/// @brief True when any link means c.
inline bool is(const error& err, errc c) { return is(err, make_error_condition(c)); }

#define IMAGEPULL_ERRC_PREDICATE(name) \
  inline bool is_##name(const error& err) { return is(err, errc::name); }
/// @brief is_not_found(err), is_unauthorized(err), …: one predicate per errc.
IMAGEPULL_ERRC_LIST(IMAGEPULL_ERRC_PREDICATE)
#undef IMAGEPULL_ERRC_PREDICATE

/// @brief The first meaning found in the chain, pre-order, skipping links that mean unknown;
/// errc::unknown when no link means anything (errdefs' Resolve).
inline errc resolve(const error& err) {
  errc found = errc::unknown;
  visit_links(err, [&](const error& link, std::size_t) {
    const auto meaning = condition_of(link.code());
    if (!meaning || *meaning == errc::unknown) return false;
    found = *meaning;
    return true;
  });
  return found;
}

/// @brief Structured form for logs: one object per link, pre-order, with its depth.
/// A template so that error.hpp does not include nlohmann/json; found by ADL.
template <class Json>
void to_json(Json& json, const error& err) {
  json = Json::array();
  visit_links(err, [&](const error& link, std::size_t depth) {
    Json item = Json::object();
    item["depth"] = depth;
    item["message"] = link.message();
    if (link.code()) {
      item["category"] = link.code().category().name();
      item["code"] = link.code().value();
    }
    if (const auto meaning = condition_of(link.code())) item["condition"] = to_string(*meaning);
    item["where"] = fmt::format("{}:{}", link.where().file_name(), link.where().line());
    json.push_back(std::move(item));
    return false;
  });
}

}  // namespace imagepull

/// @brief Formats an error as its full text.
template <>
struct fmt::formatter<imagepull::error> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(const imagepull::error& err, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(err.what(), ctx);
  }
};

/// @brief Formats an errc as its name.
template <>
struct fmt::formatter<imagepull::errc> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(imagepull::errc c, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(imagepull::to_string(c), ctx);
  }
};
