/// @file reference.hpp
/// @brief Image references: parse, validate and normalize them the way the Docker CLI and daemon do.
///
/// The grammar and the normalization rules are those of the distribution project's `reference`
/// package (ParseNormalizedNamed + TagNameOnly), digests as go-digest validates them:
///
///     reference  := name [ ":" tag ] [ "@" digest ]
///     name       := [ domain "/" ] path
///     domain     := host [ ":" port ]          host: dns-ish name, IPv4, or "[" IPv6 "]"
///     path       := component ( "/" component )*   at most 255 characters
///     component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
///     tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
///     digest     := "sha256:" hex{64} | "sha384:" hex{96} | "sha512:" hex{128}   (lowercase hex)
///
/// The scanner is hand-written: one pass over the input, no regex, no allocation until the
/// result (or the error) is built.
#pragma once

#include "imagepull/config.hpp"
#include "imagepull/detail/quote.hpp"
#include "imagepull/error.hpp"  // also brings <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>

namespace imagepull {

namespace detail::ref {

using detail::quote;

inline constexpr std::string_view default_domain = "docker.io";
inline constexpr std::string_view legacy_default_domain = "index.docker.io";
inline constexpr std::string_view official_prefix = "library/";
inline constexpr std::string_view default_tag = "latest";
inline constexpr std::string_view localhost = "localhost";
inline constexpr std::size_t max_path_length = 255;  // distribution counts the path only, not the domain
inline constexpr std::size_t max_tag_length = 128;

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_lower(char c) noexcept { return c >= 'a' && c <= 'z'; }
constexpr bool is_upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }
constexpr bool is_lower_alnum(char c) noexcept { return is_lower(c) || is_digit(c); }
constexpr bool is_alnum(char c) noexcept { return is_lower_alnum(c) || is_upper(c); }
constexpr bool is_word(char c) noexcept { return is_alnum(c) || c == '_'; }  // Go's \w
constexpr bool is_lower_hex(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'f'); }
constexpr bool is_hex(char c) noexcept { return is_lower_hex(c) || (c >= 'A' && c <= 'F'); }
constexpr bool is_space(char c) noexcept { return c == ' ' || (c >= '\t' && c <= '\r'); }

constexpr bool has_upper(std::string_view s) noexcept {
  return std::any_of(s.begin(), s.end(), [](char c) { return is_upper(c); });
}

constexpr bool all_lower_hex(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return is_lower_hex(c); });
}

/// @brief Hex length of a digest algorithm go-digest knows (0: unsupported).
constexpr std::size_t digest_hex_length(std::string_view algorithm) noexcept {
  if (algorithm == "sha256") return 64;
  if (algorithm == "sha384") return 96;
  if (algorithm == "sha512") return 128;
  return 0;
}

/// @brief A character for a message; only called with printable ASCII (checked first).
inline std::string quote_char(char c) { return fmt::format("'{}'", c); }

// Each check returns an empty string when the part is valid, otherwise the reason: no
// allocation on the success path.

inline std::string check_port(std::string_view port) {
  if (port.empty()) return "registry port is empty";
  if (!std::all_of(port.begin(), port.end(), is_digit))
    return fmt::format("registry port {} must be a number", quote(port));
  return {};
}

/// @brief host [":" port]; host is a dotted name (IPv4 included) or a bracketed IPv6 address.
inline std::string check_domain(std::string_view domain) {
  if (domain.front() == '[') {
    const auto close = domain.find(']');
    if (close == std::string_view::npos) return fmt::format("IPv6 address in {} has no closing ']'", quote(domain));
    const auto host = domain.substr(0, close + 1);
    const auto inner = domain.substr(1, close - 1);
    if (inner.empty()) return "IPv6 address is empty";
    // Zones (%eth0) and dotted IPv4 tails are excluded on purpose by distribution.
    if (!std::all_of(inner.begin(), inner.end(), [](char c) { return is_hex(c) || c == ':'; }))
      return fmt::format(
          "IPv6 address {} may contain only hex digits and ':' (zone identifiers and embedded IPv4 are not "
          "supported)",
          quote(host));
    const auto after = domain.substr(close + 1);
    if (after.empty()) return {};
    if (after.front() != ':')
      return fmt::format("registry {} has unexpected characters after the IPv6 address", quote(domain));
    return check_port(after.substr(1));
  }

  auto host = domain;
  std::string_view port;
  bool has_port = false;
  if (const auto colon = domain.find(':'); colon != std::string_view::npos) {
    host = domain.substr(0, colon);
    port = domain.substr(colon + 1);
    has_port = true;
    if (port.find(':') != std::string_view::npos)
      return fmt::format("registry {} looks like an IPv6 address: write it in brackets, e.g. \"[::1]:5000\"",
                         quote(domain));
  }
  if (host.empty()) return "registry host is empty";
  for (std::size_t start = 0;;) {
    const auto dot = host.find('.', start);
    const auto label = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return fmt::format("registry host {} has an empty component", quote(host));
    for (const char c : label)
      if (!is_alnum(c) && c != '-')
        return fmt::format("registry host {} contains an invalid character {}", quote(host), quote_char(c));
    if (label.front() == '-' || label.back() == '-')
      return fmt::format("registry host {} has a component that starts or ends with '-'", quote(host));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return has_port ? check_port(port) : std::string{};
}

inline std::string check_path_component(std::string_view component) {
  if (component.empty()) return "repository name has an empty path component (a doubled, leading or trailing '/')";
  for (const char c : component)
    if (!is_lower_alnum(c) && c != '.' && c != '_' && c != '-')
      return fmt::format("repository name contains an invalid character {}", quote_char(c));
  if (!is_lower_alnum(component.front()))
    return fmt::format("path component {} must start with a lowercase letter or digit", quote(component));
  if (!is_lower_alnum(component.back()))
    return fmt::format("path component {} must end with a lowercase letter or digit", quote(component));
  // Between alphanumeric runs: exactly ".", "_", "__", or any number of '-'.
  for (std::size_t i = 0; i < component.size();) {
    if (is_lower_alnum(component[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < component.size() && !is_lower_alnum(component[j])) ++j;
    const auto sep = component.substr(i, j - i);
    const bool dashes = std::all_of(sep.begin(), sep.end(), [](char c) { return c == '-'; });
    if (!dashes && sep != "." && sep != "_" && sep != "__")
      return fmt::format(
          "path component {} has an invalid separator {} (allowed: one '.', one or two '_', or one or more '-')",
          quote(component), quote(sep));
    i = j;
  }
  return {};
}

inline std::string check_path(std::string_view path) {
  // Reported before anything else, as distribution does: it is the most common mistake.
  if (has_upper(path)) return "repository name must be lowercase";
  for (std::size_t start = 0;;) {
    const auto slash = path.find('/', start);
    auto reason = check_path_component(
        path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (!reason.empty()) return reason;
    if (slash == std::string_view::npos) return {};
    start = slash + 1;
  }
}

inline std::string check_tag(std::string_view tag) {
  if (tag.empty()) return "tag is empty (remove the ':' or name a tag)";
  for (const char c : tag)
    if (!is_word(c) && c != '.' && c != '-')
      return fmt::format("tag contains an invalid character {}", quote_char(c));
  if (!is_word(tag.front())) return fmt::format("tag {} must start with a letter, digit or underscore", quote(tag));
  if (tag.size() > max_tag_length)
    return fmt::format("tag is longer than {} characters ({})", max_tag_length, tag.size());
  return {};
}

inline std::string check_digest(std::string_view digest) {
  if (digest.empty()) return "digest is empty (remove the '@' or give a digest)";
  const auto colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return fmt::format("digest {} must be algorithm:hex, e.g. sha256:<64 hex digits>", quote(digest));
  const auto algorithm = digest.substr(0, colon);
  const auto hex = digest.substr(colon + 1);
  const auto want = digest_hex_length(algorithm);
  if (want == 0)
    return fmt::format("unsupported digest algorithm {} (supported: sha256, sha384, sha512)", quote(algorithm));
  bool upper = false;
  for (const char c : hex) {
    if (!is_hex(c)) return fmt::format("digest contains a character that is not hexadecimal: {}", quote_char(c));
    upper = upper || !is_lower_hex(c);
  }
  if (hex.size() != want)
    return fmt::format("digest has the wrong length for {}: {} hex digits, expected {}", algorithm, hex.size(),
                       want);
  if (upper) return "digest must be lowercase hexadecimal";
  return {};
}

/// @brief "<64 hex>" or "<algorithm>:<hex>" alone: an image ID or a digest without a repository.
constexpr bool is_bare_identifier(std::string_view text) noexcept {
  if (text.size() == 64 && all_lower_hex(text)) return true;  // distribution's identifier rule
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  const auto want = digest_hex_length(text.substr(0, colon));
  const auto hex = text.substr(colon + 1);
  return want != 0 && hex.size() == want && all_lower_hex(hex);
}

}  // namespace detail::ref

/// @brief A validated, normalized image reference: domain, path, tag and/or digest.
///
/// Only parse() makes one, so every reference in the program is valid; equal references
/// mean the same image name (docker.io/library/postgres:latest == "postgres").
class reference {
public:
  /// @brief Parses, validates and normalizes text as `docker pull` does; errors are invalid_argument.
  static expected<reference, error> parse(std::string_view text);

  /// @brief The registry: "docker.io", "localhost:5000", "[::1]:5000" (case kept as written).
  const std::string& domain() const noexcept { return domain_; }
  /// @brief The repository path within the registry: "library/postgres".
  const std::string& path() const noexcept { return path_; }
  /// @brief The tag: "latest" when neither tag nor digest was given, "" when only a digest was.
  const std::string& tag() const noexcept { return tag_; }
  /// @brief The digest ("sha256:…") or "".
  const std::string& digest() const noexcept { return digest_; }

  /// @brief domain + "/" + path: "docker.io/library/postgres".
  std::string name() const { return domain_ + '/' + path_; }
  /// @brief The fully normalized form: name[:tag][@digest].
  std::string to_string() const {
    auto out = name();
    append_version(out);
    return out;
  }
  /// @brief The short form for messages: "postgres:16", "org/app@sha256:…", "localhost:5000/app:1".
  std::string familiar() const;

  /// @brief fromImage for POST /images/create: the normalized name.
  std::string api_from_image() const { return name(); }
  /// @brief tag for POST /images/create: the digest when there is one (it wins, as in Docker), else the tag.
  std::string api_tag() const { return digest_.empty() ? tag_ : digest_; }
  /// @brief {name} for GET /images/{name}/json: name@digest when digested, else name:tag.
  std::string api_inspect_name() const { return name() + (digest_.empty() ? ':' + tag_ : '@' + digest_); }

  friend bool operator==(const reference&, const reference&) = default;

private:
  reference() = default;
  void append_version(std::string& out) const {
    if (!tag_.empty()) (out += ':') += tag_;
    if (!digest_.empty()) (out += '@') += digest_;
  }

  std::string domain_;
  std::string path_;
  std::string tag_;
  std::string digest_;
};

inline expected<reference, error> reference::parse(std::string_view text) {
  namespace r = detail::ref;
  const auto fail = [text](const std::string& reason) -> expected<reference, error> {
    return unexpected<error>(
        make_error(to_error_code(errc::invalid_argument), "invalid reference {}: {}", r::quote(text), reason));
  };

  if (text.empty()) return fail("reference is empty");
  // Bytes no part of the grammar allows get their own message, before any structure is looked at.
  if (r::is_space(text.front()) || r::is_space(text.back())) return fail("has leading or trailing whitespace");
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80)
      return fail(fmt::format("contains a non-ASCII byte (0x{:02x} at offset {}); image references are ASCII only", c,
                              i));
    if (r::is_space(text[i])) return fail(fmt::format("contains whitespace at offset {}", i));
    if (c < 0x20 || c == 0x7f) return fail(fmt::format("contains a control character (0x{:02x} at offset {})", c, i));
  }
  if (r::is_bare_identifier(text))
    return fail("is an image ID, not a reference to pull (name the repository, e.g. \"name@sha256:...\")");

  // The domain: the first component, when it can only be one (distribution's splitDockerDomain).
  std::string_view domain = r::default_domain;
  std::string_view remainder = text;
  bool check_domain = false;
  bool domain_by_case = false;
  if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    const auto first = text.substr(0, slash);
    if (first == r::legacy_default_domain) {
      remainder = text.substr(slash + 1);
    } else if (first == r::localhost || first.find_first_of(".:") != std::string_view::npos || r::has_upper(first)) {
      domain = first;
      remainder = text.substr(slash + 1);
      check_domain = true;
      domain_by_case = first != r::localhost && first.find_first_of(".:") == std::string_view::npos;
    }
  }
  if (check_domain) {
    if (auto reason = r::check_domain(domain); !reason.empty()) {
      // "Org_Name/app" is an upper-case namespace, not a registry: say what is really wrong.
      return fail(domain_by_case ? std::string{"repository name must be lowercase"} : reason);
    }
  }

  // path [":" tag] ["@" digest]: neither ':' nor '@' can occur in a path or a tag.
  const auto path_end = std::min(remainder.find_first_of(":@"), remainder.size());
  const auto path = remainder.substr(0, path_end);
  if (path.empty()) return fail("repository name is missing");
  if (auto reason = r::check_path(path); !reason.empty()) return fail(reason);
  // Single-component Docker Hub names live in "library/", and the limit counts that prefix.
  const bool official = domain == r::default_domain && path.find('/') == std::string_view::npos;
  const auto path_length = path.size() + (official ? r::official_prefix.size() : 0);
  if (path_length > r::max_path_length)
    return fail(fmt::format("repository name is longer than {} characters ({}{})", r::max_path_length, path_length,
                            official ? ", with the implied \"library/\"" : ""));

  auto rest = remainder.substr(path_end);
  std::string_view tag;
  std::string_view digest;
  if (!rest.empty() && rest.front() == ':') {
    const auto at = std::min(rest.find('@'), rest.size());
    tag = rest.substr(1, at - 1);
    if (auto reason = r::check_tag(tag); !reason.empty()) return fail(reason);
    rest = rest.substr(at);
  }
  if (!rest.empty()) {  // necessarily '@'
    digest = rest.substr(1);
    if (auto reason = r::check_digest(digest); !reason.empty()) return fail(reason);
  }

  reference ref;
  ref.domain_.assign(domain);
  ref.path_.reserve(path_length);
  if (official) ref.path_.assign(r::official_prefix);
  ref.path_.append(path);
  ref.tag_.assign(tag.empty() && digest.empty() ? r::default_tag : tag);
  ref.digest_.assign(digest);
  return ref;
}

inline std::string reference::familiar() const {
  namespace r = detail::ref;
  std::string out;
  std::string_view path = path_;
  bool keep_domain = domain_ != r::default_domain;
  if (!keep_domain) {
    const auto slash = path.find('/');
    const auto first = path.substr(0, slash);
    if (slash != std::string_view::npos && (first == r::localhost || first.find('.') != std::string_view::npos)) {
      // docker.io/foo.com/app shortened to "foo.com/app" would name the registry foo.com: keep it long.
      keep_domain = true;
    } else if (path.starts_with(r::official_prefix) &&
               path.find('/', r::official_prefix.size()) == std::string_view::npos) {
      path.remove_prefix(r::official_prefix.size());
    }
  }
  out.reserve(domain_.size() + path_.size() + tag_.size() + digest_.size() + 3);
  if (keep_domain) (out += domain_) += '/';
  out += path;
  append_version(out);
  return out;
}

}  // namespace imagepull

/// @brief Formats a reference as its familiar (short) form.
template <>
struct fmt::formatter<imagepull::reference> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(const imagepull::reference& ref, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(ref.familiar(), ctx);
  }
};
