// libFuzzer target for the pull-stream decoder: arbitrary bytes, cut at arbitrary places, must
// never crash, leak or hit UB; the outcome must not depend on where the stream is cut; an error
// always has a text, and a failed decoder accepts nothing more. A violation aborts.
#include "imagepull/jsonmessage.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "message_decoder_fuzz: %s\n", what);
  std::abort();
}

struct outcome {
  std::vector<imagepull::json_message> messages;
  std::string error;  // empty on success
};

// Feeds the stream in pieces of the given sizes (cycled), then finishes.
outcome decode(std::string_view stream, const std::vector<std::size_t>& pieces) {
  imagepull::message_decoder decoder(1024);  // small, so the fuzzer reaches the limit
  outcome out;
  const auto keep = [&](const imagepull::json_message& m) { out.messages.push_back(m); };
  std::size_t i = 0;
  while (!stream.empty()) {
    const auto n = std::min(stream.size(), pieces[i++ % pieces.size()]);
    auto fed = decoder.feed(stream.substr(0, n), keep);
    stream.remove_prefix(n);
    if (!fed) {
      out.error = fed.error().what();
      require(!out.error.empty(), "empty error text");
      require(!decoder.feed("{}\n", keep), "a failed decoder accepted more input");
      return out;
    }
  }
  if (auto finished = decoder.finish(keep); !finished) out.error = finished.error().what();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // The first byte chooses how the rest is cut: one piece, or pieces of 1..16 bytes.
  const std::size_t step = data[0] % 17;
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto whole = decode(stream, {stream.size() + 1});
  const auto cut = decode(stream, {step == 0 ? 1 : step, step + 3});
  require(whole.error == cut.error, "the error depends on where the stream is cut");
  require(whole.messages == cut.messages, "the messages depend on where the stream is cut");
  return 0;
}
