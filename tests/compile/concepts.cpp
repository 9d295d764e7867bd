// Compile-time checks of the concepts: what satisfies them and what must not.
#include "imagepull/progress.hpp"
#include "imagepull/puller.hpp"
#include "imagepull/testing/fake_puller.hpp"

#include <string>

using namespace imagepull;

namespace {

struct minimal_puller {
  expected<image_info, error> image_inspect(const reference&);
  expected<void, error> image_pull(const reference&, const pull_options&, const chunk_sink&);
};

struct generic_sink_puller {
  expected<image_info, error> image_inspect(const reference&) const;
  template <class Sink>
  expected<void, error> image_pull(const reference&, const pull_options&, Sink&&) const;
};

struct missing_pull {
  expected<image_info, error> image_inspect(const reference&);
};

struct missing_inspect {
  expected<void, error> image_pull(const reference&, const pull_options&, const chunk_sink&);
};

struct inspect_returns_the_wrong_type {
  expected<std::string, error> image_inspect(const reference&);
  expected<void, error> image_pull(const reference&, const pull_options&, const chunk_sink&);
};

struct inspect_drops_the_error {
  image_info image_inspect(const reference&);
  expected<void, error> image_pull(const reference&, const pull_options&, const chunk_sink&);
};

struct pull_returns_bool {
  expected<image_info, error> image_inspect(const reference&);
  bool image_pull(const reference&, const pull_options&, const chunk_sink&);
};

struct pull_with_a_wrong_error_type {
  expected<image_info, error> image_inspect(const reference&);
  expected<void, std::string> image_pull(const reference&, const pull_options&, const chunk_sink&);
};

struct pull_takes_a_string {
  expected<image_info, error> image_inspect(const reference&);
  expected<void, error> image_pull(const std::string&, const pull_options&, const chunk_sink&);
};

struct inspect_takes_a_mutable_reference {
  expected<image_info, error> image_inspect(reference&);
  expected<void, error> image_pull(const reference&, const pull_options&, const chunk_sink&);
};

struct pull_without_a_sink {
  expected<image_info, error> image_inspect(const reference&);
  expected<void, error> image_pull(const reference&, const pull_options&);
};

struct counting_progress {
  int seen = 0;
  void on_message(const json_message&) { ++seen; }
};

struct progress_with_a_wrong_parameter {
  void on_message(int);
};

}  // namespace

static_assert(ImagePuller<testing::fake_puller>);
static_assert(ImagePuller<minimal_puller>);
static_assert(ImagePuller<generic_sink_puller>);
static_assert(!ImagePuller<missing_pull>);
static_assert(!ImagePuller<missing_inspect>);
static_assert(!ImagePuller<inspect_returns_the_wrong_type>);
static_assert(!ImagePuller<inspect_drops_the_error>);
static_assert(!ImagePuller<pull_returns_bool>);
static_assert(!ImagePuller<pull_with_a_wrong_error_type>);
static_assert(!ImagePuller<pull_takes_a_string>);
static_assert(!ImagePuller<inspect_takes_a_mutable_reference>);
static_assert(!ImagePuller<pull_without_a_sink>);
static_assert(!ImagePuller<int>);

static_assert(ProgressPolicy<progress::silent>);
static_assert(ProgressPolicy<progress::plain>);
static_assert(ProgressPolicy<counting_progress>);
static_assert(!ProgressPolicy<progress_with_a_wrong_parameter>);
static_assert(!ProgressPolicy<int>);

static_assert(std::is_nothrow_copy_constructible_v<error>, "an error is cheap to copy: links are shared");
static_assert(std::is_error_condition_enum_v<errc>);
static_assert(std::is_error_code_enum_v<registry_errc>);
