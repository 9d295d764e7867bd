// Decode + render throughput: a large synthetic pull stream (12 layers per pull, their progress
// interleaved) through message_decoder and a progress policy, in 16 KiB chunks.
#include "fixtures.hpp"

#include "imagepull/jsonmessage.hpp"
#include "imagepull/progress.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct input {
  std::vector<std::string> chunks;
  std::uint64_t bytes = 0;
  std::uint64_t messages = 0;
};

// About 32 MB, made once: the benchmark measures decoding and rendering, not the generator.
const input& stream() {
  static const input made = [] {
    input in;
    bench::synthetic_stream source(32'000'000);
    for (auto chunk = source.next(); !chunk.empty(); chunk = source.next()) {
      in.chunks.emplace_back(chunk);
      in.bytes += chunk.size();
      for (const char c : chunk) in.messages += c == '\n';
    }
    return in;
  }();
  return made;
}

template <class MakePolicy>
void decode_and_render(benchmark::State& state, MakePolicy make_policy) {
  const input& in = stream();
  bench::null_ostream out;
  for (auto _ : state) {
    auto policy = make_policy(out);
    imagepull::message_decoder decoder;
    const auto show = [&](const imagepull::json_message& m) { policy.on_message(m); };
    for (const auto& chunk : in.chunks)
      if (!decoder.feed(chunk, show)) std::abort();
    if (!decoder.finish(show)) std::abort();
  }
  const auto iterations = static_cast<std::int64_t>(state.iterations());
  state.SetBytesProcessed(iterations * static_cast<std::int64_t>(in.bytes));
  state.SetItemsProcessed(iterations * static_cast<std::int64_t>(in.messages));
  state.counters["output_bytes"] =
      benchmark::Counter(static_cast<double>(out.written()) / static_cast<double>(iterations));
}

void decode_only(benchmark::State& state) {
  decode_and_render(state, [](std::ostream&) { return imagepull::progress::silent{}; });
}

void plain(benchmark::State& state) {
  decode_and_render(state, [](std::ostream& out) { return imagepull::progress::plain(out); });
}

void terminal(benchmark::State& state) {
  const int width = static_cast<int>(state.range(0));
  decode_and_render(state, [width](std::ostream& out) { return imagepull::progress::terminal(out, width); });
}

void aggregate(benchmark::State& state) {
  decode_and_render(state, [](std::ostream&) { return imagepull::progress::aggregate<>(); });
}

}  // namespace

BENCHMARK(decode_only)->Unit(benchmark::kMillisecond);
BENCHMARK(plain)->Unit(benchmark::kMillisecond);
BENCHMARK(terminal)->Arg(200)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(aggregate)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
