// expect: ImagePuller
// Misuse: pull_image with something that cannot pull must not compile.
#include "imagepull/pull.hpp"

struct not_a_puller {
  int image_inspect(int);
};

int main() {
  not_a_puller p;
  return imagepull::pull_image(p, "postgres:16") ? 0 : 1;
}
