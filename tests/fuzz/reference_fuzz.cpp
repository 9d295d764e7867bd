// libFuzzer target for reference::parse: arbitrary bytes must never crash, leak or hit UB, every
// accepted input must round-trip through its printed forms, and the request forms must hold no
// character that could leave a query value or add a path segment. A violation aborts.
#include "imagepull/reference.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void require(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "reference_fuzz: %s for input of %zu bytes\n", what, input.size());
  std::abort();
}

bool api_char(char c, bool slash, bool at) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-' || c == ':' || (slash && (c == '/' || c == '[' || c == ']')) || (at && c == '@');
}

/// @brief Only allowed characters; as a path: no empty, "." or ".." segment.
bool api_safe(std::string_view s, bool slash, bool at) {
  if (s.empty()) return false;
  for (const char c : s)
    if (!api_char(c, slash, at)) return false;
  if (!slash) return true;
  for (std::size_t start = 0;;) {
    const auto end = s.find('/', start);
    const auto segment = s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

bool printable(std::string_view s) {
  for (const char c : s)
    if (c < 0x20 || c >= 0x7f) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto parsed = imagepull::reference::parse(input);
  if (!parsed) {
    const auto& err = parsed.error();
    require(imagepull::is_invalid_argument(err), "error is not invalid_argument", input);
    const auto text = err.what();
    require(printable(text), "error message is not printable ASCII", input);
    require(text.size() < 1024, "error message is not bounded", input);
    return 0;
  }
  const auto& ref = *parsed;
  require(!ref.domain().empty() && !ref.path().empty(), "empty domain or path", input);
  require(ref.path().size() <= 255, "path longer than 255", input);
  require(!ref.tag().empty() || !ref.digest().empty(), "neither tag nor digest", input);
  require(ref.name() == ref.domain() + "/" + ref.path(), "name is not domain/path", input);

  const auto again = imagepull::reference::parse(ref.to_string());
  require(again && *again == ref, "to_string does not round-trip", input);
  const auto short_form = imagepull::reference::parse(ref.familiar());
  require(short_form && *short_form == ref, "familiar does not round-trip", input);
  require(fmt::format("{}", ref) == ref.familiar(), "formatter is not familiar()", input);

  require(api_safe(ref.api_from_image(), true, false), "unsafe fromImage", input);
  require(api_safe(ref.api_tag(), false, false), "unsafe tag", input);
  require(api_safe(ref.api_inspect_name(), true, true), "unsafe inspect name", input);
  require(ref.api_from_image() == ref.name(), "fromImage is not name()", input);
  const auto inspect = imagepull::reference::parse(ref.api_inspect_name());
  require(inspect && inspect->name() == ref.name() && inspect->digest() == ref.digest(),
          "inspect name does not name the same image", input);
  return 0;
}
