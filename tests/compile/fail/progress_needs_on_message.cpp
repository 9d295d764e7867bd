// expect: ProgressPolicy
// Misuse: a progress policy without on_message(const json_message&) must not compile.
#include "imagepull/pull.hpp"
#include "imagepull/testing/fake_puller.hpp"

struct not_a_progress_policy {};

int main() {
  imagepull::testing::fake_puller p;
  return imagepull::pull_image(p, "postgres:16", {}, not_a_progress_policy{}) ? 0 : 1;
}
