// What the benchmarks feed and where their output goes: synthetic pull streams shaped like the
// Docker daemon's, made on the fly so that their length costs no memory, and a stream that
// discards what is written to it.
#pragma once

#include "imagepull/progress/format.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace bench {

// An ostream that counts and drops every byte.
class null_ostream : public std::ostream {
public:
  null_ostream() : std::ostream(&buffer_) {}
  std::uint64_t written() const noexcept { return buffer_.written; }

private:
  struct counting_buffer : std::streambuf {
    std::uint64_t written = 0;
    int_type overflow(int_type c) override {
      ++written;
      return traits_type::not_eof(c);
    }
    std::streamsize xsputn(const char*, std::streamsize n) override {
      written += static_cast<std::uint64_t>(n);
      return n;
    }
  };
  counting_buffer buffer_;
};

// Pull number `index` of an image with `layers` layers, as a Docker daemon streams it: the layers
// queued, their downloads interleaved in `steps` progress messages each (with the daemon's own
// rendered bar), then each layer extracted in turn, and the digest and status lines.
inline void append_pull(std::string& out, std::size_t index, std::size_t layers = 12, std::size_t steps = 48) {
  auto to = std::back_inserter(out);
  const auto id = [&](std::size_t layer) { return fmt::format("{:012x}", (index * 131 + layer) * 0x9e3779b1ULL % 0xffffffffffffULL); };
  const auto size = [&](std::size_t layer) {
    return static_cast<std::int64_t>(500'000 + (layer * 7'919'993 + index * 1'048'573) % 80'000'000);
  };
  const auto progress = [&](std::string_view status, std::size_t layer, std::size_t step, std::size_t of) {
    const imagepull::json_progress p{.current = size(layer) * static_cast<std::int64_t>(step) / static_cast<std::int64_t>(of),
                                     .total = size(layer)};
    fmt::format_to(to,
                   "{{\"status\":\"{}\",\"progressDetail\":{{\"current\":{},\"total\":{}}},\"progress\":\"{}\","
                   "\"id\":\"{}\"}}\r\n",
                   status, p.current, p.total, imagepull::progress::progress_text(p, 200), id(layer));
  };
  const auto plain_status = [&](std::string_view status, std::size_t layer) {
    fmt::format_to(to, "{{\"status\":\"{}\",\"progressDetail\":{{}},\"id\":\"{}\"}}\r\n", status, id(layer));
  };

  fmt::format_to(to, "{{\"status\":\"Pulling from bench/app\",\"id\":\"v{}\"}}\r\n", index);
  for (std::size_t layer = 0; layer < layers; ++layer) plain_status("Pulling fs layer", layer);
  for (std::size_t step = 1; step <= steps; ++step)
    for (std::size_t layer = 0; layer < layers; ++layer) progress("Downloading", layer, step, steps);
  for (std::size_t layer = 0; layer < layers; ++layer) {
    plain_status("Verifying Checksum", layer);
    plain_status("Download complete", layer);
  }
  for (std::size_t layer = 0; layer < layers; ++layer) {
    for (std::size_t step = 1; step <= steps / 2; ++step) progress("Extracting", layer, step, steps / 2);
    plain_status("Pull complete", layer);
  }
  fmt::format_to(to, "{{\"status\":\"Digest: sha256:{:064x}\"}}\r\n", index);
  fmt::format_to(to, "{{\"status\":\"Status: Downloaded newer image for bench/app:v{}\"}}\r\n", index);
}

// At least `bytes` bytes of whole pulls, handed out in chunks of `chunk` bytes cut anywhere, as
// HTTP delivers them. Only one pull is held at a time.
class synthetic_stream {
public:
  explicit synthetic_stream(std::uint64_t bytes, std::size_t chunk = 16 * 1024) : wanted_(bytes), chunk_(chunk) {}

  // The next chunk; empty at the end.
  std::string_view next() {
    if (offset_ == pull_.size()) {
      if (produced_ >= wanted_) return {};
      pull_.clear();
      append_pull(pull_, pulls_++);
      produced_ += pull_.size();
      offset_ = 0;
    }
    const auto piece = std::string_view(pull_).substr(offset_, chunk_);
    offset_ += piece.size();
    return piece;
  }

  std::uint64_t produced() const noexcept { return produced_; }

private:
  std::uint64_t wanted_;
  std::size_t chunk_;
  std::string pull_;
  std::size_t offset_ = 0;
  std::uint64_t produced_ = 0;
  std::size_t pulls_ = 0;
};

}  // namespace bench
