// expect: format|consteval|constant expression
// Misuse: a wrap whose format string does not match its arguments is caught at compile time.
#include "imagepull/error.hpp"

int main() {
  const imagepull::error root(imagepull::errc::not_found, "gone");
  return imagepull::wrap(root, "failed to pull {} from {}", "x").what().empty() ? 1 : 0;
}
