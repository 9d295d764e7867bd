// Peak memory of decoding and rendering a pull stream of a given length: feeds N bytes of
// synthetic stream through message_decoder and the terminal display into a null ostream, then
// prints the peak resident set size (getrusage). It must not grow with N.
//
//   stream_memory 1M | 64M | 1G | <bytes>     (M and G are 2^20 and 2^30)
#include "fixtures.hpp"

#include "imagepull/jsonmessage.hpp"
#include "imagepull/progress/display.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace {

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // KiB on Linux
}

bool parse_size(const std::string& text, std::uint64_t& bytes) {
  std::size_t used = 0;
  try {
    bytes = std::stoull(text, &used);
  } catch (...) {
    return false;
  }
  const std::string suffix = text.substr(used);
  if (suffix == "M") bytes <<= 20;
  else if (suffix == "G") bytes <<= 30;
  else if (!suffix.empty()) return false;
  return true;
}

int decode_failed(const imagepull::error& e) {
  fmt::print(stderr, "decode failed: {}\n", e.what());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t wanted = 0;
  if (argc != 2 || !parse_size(argv[1], wanted)) {
    fmt::print(stderr, "usage: stream_memory BYTES   (e.g. 1M, 64M, 1G)\n");
    return 2;
  }
  const long before = peak_rss_kib();
  const auto started = std::chrono::steady_clock::now();

  bench::null_ostream out;
  imagepull::progress::terminal display(out, 200);
  imagepull::message_decoder decoder;
  bench::synthetic_stream source(wanted);
  std::uint64_t fed = 0;
  const auto show = [&](const imagepull::json_message& m) { display.on_message(m); };
  for (auto chunk = source.next(); !chunk.empty(); chunk = source.next()) {
    fed += chunk.size();
    if (auto ok = decoder.feed(chunk, show); !ok) return decode_failed(ok.error());
  }
  if (auto ok = decoder.finish(show); !ok) return decode_failed(ok.error());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  fmt::print("stream {}: fed {} bytes ({} messages, {} bytes rendered) in {:.2f} s ({:.0f} MB/s); "
             "peak RSS {} KiB ({} KiB before feeding)\n",
             argv[1], fed, decoder.lines(), out.written(), seconds, static_cast<double>(fed) / seconds / 1e6,
             peak_rss_kib(), before);
  return 0;
}
