// Golden tests for the progress policies. The expected bytes of the display were checked
// against Docker 20.10.24's own jsonmessage package (Debian golang-github-docker-docker-dev)
// fed the same messages at the same widths; the time-left rows, which need an injected clock,
// apply the formula those checks confirmed against the real clock.
#include "imagepull/progress.hpp"
#include "imagepull/pull.hpp"
#include "imagepull/testing/fake_puller.hpp"

#include "stream_samples.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

using namespace imagepull;
using namespace imagepull::progress;

namespace {

using std::chrono::system_clock;

void feed(const std::string& stream, auto& policy) {
  message_decoder decoder;
  const auto show = [&](const json_message& m) { policy.on_message(m); };
  REQUIRE(decoder.feed(stream, show));
  REQUIRE(decoder.finish(show));
}

std::string rendered(const std::string& stream, display_options options) {
  std::ostringstream out;
  display shown(out, std::move(options));
  feed(stream, shown);
  return out.str();
}

std::string in_terminal(const std::string& stream, int width) {
  return rendered(stream, {.terminal = true, .width = width, .width_fd = -1, .now = {}});
}

std::string without_terminal(const std::string& stream, int width) {
  return rendered(stream, {.terminal = false, .width = width, .width_fd = -1, .now = {}});
}

clock_function fixed_clock(std::int64_t seconds, std::int64_t nanos = 0) {
  return [=] { return system_clock::time_point{std::chrono::seconds{seconds} + std::chrono::nanoseconds{nanos}}; };
}

json_progress bytes(std::int64_t current, std::int64_t total = 0) { return {.current = current, .total = total}; }

json_progress hidden(std::int64_t current, std::int64_t total, std::string units = {}) {
  return {.current = current, .total = total, .units = std::move(units), .hide_counts = true};
}

json_progress counted(std::int64_t current, std::int64_t total, std::string units) {
  return {.current = current, .total = total, .units = std::move(units)};
}

json_progress started(std::int64_t current, std::int64_t total, std::int64_t start) {
  return {.current = current, .total = total, .start = start};
}

constexpr std::int64_t t0 = 1'700'000'000;  // a start time, in Unix seconds

// One event as a line of text, to compare whole sequences.
std::string describe(const event& e) {
  static constexpr const char* phases[] = {"waiting",  "downloading", "verifying",      "download_complete",
                                           "extracting", "complete",  "already_exists", "other"};
  struct visitor {
    std::string operator()(const layer_event& l) const {
      return fmt::format("layer {} {} {}/{}", l.id, phases[static_cast<int>(l.phase)], l.current, l.total);
    }
    std::string operator()(const digest_event& d) const { return fmt::format("digest {}", d.digest); }
    std::string operator()(const status_event& s) const { return fmt::format("status {}", s.status); }
    std::string operator()(const aux_event& a) const { return fmt::format("aux {}", a.json); }
    std::string operator()(const other_event& o) const {
      return fmt::format("other {}: {}", o.message->id, o.message->status);
    }
  };
  return std::visit(visitor{}, e);
}

// A pseudo-terminal pair whose size is set, closed at the end of the test.
struct pseudo_terminal {
  int controller = -1;
  int device = -1;
  explicit pseudo_terminal(unsigned short columns) {
    controller = ::posix_openpt(O_RDWR | O_NOCTTY);
    REQUIRE(controller >= 0);
    REQUIRE(::grantpt(controller) == 0);
    REQUIRE(::unlockpt(controller) == 0);
    device = ::open(::ptsname(controller), O_RDWR | O_NOCTTY);
    REQUIRE(device >= 0);
    ::winsize size{};
    size.ws_col = columns;
    size.ws_row = 24;
    REQUIRE(::ioctl(device, TIOCSWINSZ, &size) == 0);
  }
  ~pseudo_terminal() {
    ::close(device);
    ::close(controller);
  }
  pseudo_terminal(const pseudo_terminal&) = delete;
  pseudo_terminal& operator=(const pseudo_terminal&) = delete;
};

const std::string downloading_half =
    R"({"status":"Downloading","progressDetail":{"current":12345678,"total":45678901},"id":"abc123"})"
    "\n";
const std::string downloading_hidden =
    R"({"status":"Downloading","progressDetail":{"current":30,"total":100,"hidecounts":true},"id":"abc123"})"
    "\n";

}  // namespace

TEST_CASE("human_size: four significant digits in decimal units, as go-units' HumanSize") {
  const std::pair<double, const char*> cases[] = {
      {0, "0B"},
      {1, "1B"},
      {999, "999B"},
      {1000, "1kB"},
      {1001, "1.001kB"},
      {36450, "36.45kB"},
      {3001000, "3.001MB"},
      {999499, "999.5kB"},
      {999950, "1000kB"},     // rounds up to 1000 without moving to the next unit
      {100250, "100.2kB"},    // an exact tie goes to the even digit
      {1e12, "1TB"},
      {123456789012345678.0, "123.5PB"},
      {9223372036854775807.0, "9.223EB"},
      {-5, "-5B"},
      {1e30, "1e+06YB"},      // past the last unit, Go's %g switches to an exponent
  };
  for (const auto& [size, text] : cases) CHECK(human_size(size) == text);
}

TEST_CASE("duration_text: whole seconds as Go's time.Duration.String") {
  const std::pair<std::int64_t, const char*> cases[] = {
      {0, "0s"},          {1, "1s"},           {59, "59s"},         {60, "1m0s"},
      {61, "1m1s"},       {3599, "59m59s"},    {3600, "1h0m0s"},    {3661, "1h1m1s"},
      {86400, "24h0m0s"}, {360000, "100h0m0s"}, {-5, "-5s"},        {-3661, "-1h1m1s"},
      {-9223372036, "-2562047h47m16s"},
  };
  for (const auto& [seconds, text] : cases) CHECK(duration_text(std::chrono::seconds{seconds}) == text);
}

TEST_CASE("timestamp_text: RFC3339NanoFixed in UTC, any year") {
  CHECK(timestamp_text(0) == "1970-01-01T00:00:00.000000000Z");
  CHECK(timestamp_text(1'700'000'000) == "2023-11-14T22:13:20.000000000Z");
  CHECK(timestamp_text(0, 1'700'000'000'123'456'789) == "2023-11-14T22:13:20.123456789Z");
  CHECK(timestamp_text(0, -1) == "1969-12-31T23:59:59.999999999Z");
  CHECK(timestamp_text(-1) == "1969-12-31T23:59:59.000000000Z");
  CHECK(timestamp_text(951'782'400) == "2000-02-29T00:00:00.000000000Z");
  CHECK(timestamp_text(-62'135'596'801) == "0000-12-31T23:59:59.000000000Z");
  CHECK(timestamp_text(-62'167'219'201) == "-0001-12-31T23:59:59.000000000Z");
  CHECK(timestamp_text(253'402'300'800) == "10000-01-01T00:00:00.000000000Z");
}

TEST_CASE("progress_text: bar, counts and units at widths 50, 100 and 200") {
  struct row {
    const char* name;
    json_progress progress;
    const char* at50;
    const char* at100;
    const char* at200;
  };
  const row rows[] = {
      {"under way", bytes(12345678, 45678901), " 12.35MB/45.68MB", " 12.35MB/45.68MB",
       "[=============>                                     ]  12.35MB/45.68MB"},
      {"nothing yet", bytes(0, 1000), "      0B/1kB", "      0B/1kB",
       "[>                                                  ]       0B/1kB"},
      {"current == total", bytes(524288, 524288), " 524.3kB/524.3kB", " 524.3kB/524.3kB",
       "[==================================================>]  524.3kB/524.3kB"},
      {"current > total: the total is left out", bytes(2000000, 1000000), "     2MB", "     2MB",
       "[==================================================>]      2MB"},
      {"no total: no bar", bytes(36450), " 36.45kB", " 36.45kB", " 36.45kB"},
      {"zero totals: nothing", bytes(0, 0), "", "", ""},
      {"negative total: no bar", bytes(5, -1), "      5B", "      5B", "      5B"},
      {"a small fraction", bytes(1, 999), "      1B/999B", "      1B/999B",
       "[>                                                  ]       1B/999B"},
      {"the largest sizes", bytes(9223372036854775806, 9223372036854775807), " 9.223EB/9.223EB",
       " 9.223EB/9.223EB", "[==================================================>]  9.223EB/9.223EB"},
      {"sizes round to four digits", bytes(999950, 999999999), "  1000kB/1000MB", "  1000kB/1000MB",
       "[>                                                  ]   1000kB/1000MB"},
      {"units", counted(3, 10, "items"), "3/10 items", "3/10 items",
       "[===============>                                   ] 3/10 items"},
      {"units, current > total", counted(12, 10, "items"), "12 items", "12 items",
       "[==================================================>] 12 items"},
      {"units, no total", counted(7, 0, "items"), "7 items", "7 items", "7 items"},
      {"hidecounts", hidden(30, 100), "", "", "[===============>                                   ] "},
      {"hidecounts, done", hidden(100, 100), "", "", "[==================================================>] "},
      {"hidecounts with units", hidden(30, 100, "steps"), "", "", "[===============>                                   ] "},
      {"a start time far in the future: Go's saturated arithmetic", started(3, 10, 9'000'000'000'000'000'000),
       "      3B/10B", "      3B/10B -854015h55m45s",
       "[===============>                                   ]       3B/10B -854015h55m45s"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    CHECK(progress_text(r.progress, 50, fixed_clock(t0)) == r.at50);
    CHECK(progress_text(r.progress, 100, fixed_clock(t0)) == r.at100);
    CHECK(progress_text(r.progress, 200, fixed_clock(t0)) == r.at200);
  }
  // Docker panics drawing a bar for a negative current; without a bar it writes this.
  CHECK(progress_text(bytes(-5, 10), 100) == "     -5B/10B");
  CHECK(progress_text(bytes(-5, 10), 200) == "[>                                                  ]      -5B/10B");
}

TEST_CASE("progress_text: the bar from width 111, the time left from width 51") {
  const auto p = started(25, 100, t0);
  const auto now = fixed_clock(t0 + 100);
  CHECK(progress_text(p, 50, now) == "     25B/100B");
  CHECK(progress_text(p, 51, now) == "     25B/100B 5m0s");
  CHECK(progress_text(p, 110, now) == "     25B/100B 5m0s");
  CHECK(progress_text(p, 111, now) == "[============>                                      ]      25B/100B 5m0s");
}

TEST_CASE("progress_text: the time left is Docker's estimate from the injected clock, cut to whole seconds") {
  struct row {
    const char* name;
    json_progress progress;
    clock_function now;
    const char* text;
  };
  const row rows[] = {
      {"minutes", started(25, 100, t0), fixed_clock(t0 + 100), "     25B/100B 5m0s"},
      {"seconds, cut", started(3, 10, t0), fixed_clock(t0 + 10, 900'000'000), "      3B/10B 25s"},
      {"hours", started(1, 26, t0), fixed_clock(t0 + 3600), "      1B/26B 25h0m0s"},
      {"hours, minutes and seconds", started(1, 2, t0), fixed_clock(t0 + 3723), "      1B/2B 1h2m3s"},
      {"under a second", started(1, 2, t0), fixed_clock(t0, 500'000'000), "      1B/2B 0s"},
      {"no time yet", started(1, 2, t0), fixed_clock(t0), "      1B/2B 0s"},
      {"a start in the future", started(1, 3, t0), fixed_clock(t0 - 10), "      1B/3B -20s"},
      {"large sizes", started(1'000'000'000'000'000, 1'000'100'000'000'000, t0), fixed_clock(t0 + 1'780'000'000),
       "     1PB/1PB 49h26m40s"},
      {"no start time", started(25, 100, 0), fixed_clock(t0 + 100), "     25B/100B"},
      {"nothing done yet", started(0, 100, t0), fixed_clock(t0 + 100), "      0B/100B"},
      {"done", started(100, 100, t0), fixed_clock(t0 + 100), "    100B/100B"},
      {"no total", started(25, 0, t0), fixed_clock(t0 + 100), "     25B"},
      {"hidden counts", {.current = 25, .total = 100, .start = t0, .hide_counts = true}, fixed_clock(t0 + 100),
       " 5m0s"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    CHECK(progress_text(r.progress, 100, r.now) == r.text);
  }
}

TEST_CASE("progress_text_empty agrees with progress_text at every width") {
  const json_progress cases[] = {bytes(0, 0),      bytes(5, 0),       bytes(1, 2),          hidden(30, 100),
                                 hidden(100, 100), hidden(0, 0),      counted(3, 10, "x"),  started(3, 10, t0),
                                 {.current = 3, .total = 10, .start = t0, .hide_counts = true}};
  for (const auto& p : cases)
    for (int width = 0; width <= 220; ++width) {
      CAPTURE(width);
      CHECK(progress_text_empty(p, width) == progress_text(p, width, fixed_clock(t0 + 7)).empty());
    }
}

TEST_CASE("terminal mode: each shape of message") {
  const auto message = [](const char* json) { return std::string(json) + "\n"; };
  CHECK(in_terminal(downloading_half, 200) ==
        "\n\x1b[1A\x1b[2K\rabc123: Downloading [=============>                                     ]  12.35MB/45.68MB"
        "\r\x1b[1B");
  CHECK(in_terminal(downloading_half, 100) == "\n\x1b[1A\x1b[2K\rabc123: Downloading  12.35MB/45.68MB\r\x1b[1B");
  CHECK(in_terminal(downloading_half, 50) == "\n\x1b[1A\x1b[2K\rabc123: Downloading  12.35MB/45.68MB\r\x1b[1B");
  CHECK(in_terminal(downloading_hidden, 100) == "\n\x1b[1A\x1b[2K\rabc123: Downloading \r\x1b[1B");
  // A status with an id but no progress is not a layer line: no cursor movement.
  CHECK(in_terminal(message(R"({"status":"Pulling from library/postgres","id":"16"})"), 200) ==
        "16: Pulling from library/postgres\n");
  CHECK(in_terminal(message(R"({"status":"Digest: sha256:abc"})"), 200) == "Digest: sha256:abc\n");
  CHECK(in_terminal(message(R"({"status":"Pulling fs layer","progressDetail":{},"id":"a"})"), 200) ==
        "\n\x1b[1A\x1b[2K\ra: Pulling fs layer \r\x1b[1B");
  CHECK(in_terminal(message(R"({"status":"Downloading","id":"abc","from":"base","progressDetail":{"current":1,"total":2}})"),
                    100) == "\n\x1b[1A\x1b[2K\rabc: (from base) Downloading       1B/2B\r\x1b[1B");
  CHECK(in_terminal(message(R"({"status":"create","id":"c1","from":"img"})"), 200) == "c1: (from img) create\n");
  // Streams pass through unchanged.
  CHECK(in_terminal(message(R"({"stream":"Step 1/2 : FROM busybox\n"})") + message(R"({"stream":" ---> abc\n"})"),
                    200) == "Step 1/2 : FROM busybox\n ---> abc\n");
  // Beside a stream, a non-empty bar hides the message; an empty one shows status and bar.
  CHECK(in_terminal(message(R"({"stream":"text\n","id":"s","progressDetail":{"current":1,"total":2}})"), 200) ==
        "\n\x1b[1A\x1b[1B");
  CHECK(in_terminal(message(R"({"stream":"text\n","id":"s","progressDetail":{}})"), 200) == "\n\x1b[1As:  \x1b[1B");
  // The daemon's own rendering, deprecated, ends without a newline.
  CHECK(in_terminal(message(R"({"status":"Downloading","progress":"[==>   ] 1MB/2MB","id":"abc"})"), 200) ==
        "\n\x1b[1Aabc: Downloading [==>   ] 1MB/2MB\x1b[1B");
  CHECK(in_terminal(message(R"({"status":"Downloading","progress":"[==>   ] 1MB/2MB"})"), 200) ==
        "Downloading [==>   ] 1MB/2MB");
}

TEST_CASE("time prefixes: timeNano wins over time, both in UTC") {
  const auto message = [](const char* json) { return std::string(json) + "\n"; };
  CHECK(in_terminal(message(R"({"status":"hello","time":1700000000})"), 200) ==
        "2023-11-14T22:13:20.000000000Z hello\n");
  CHECK(without_terminal(message(R"({"status":"hello","timeNano":1700000000123456789})"), 200) ==
        "2023-11-14T22:13:20.123456789Z hello\n");
  CHECK(in_terminal(message(R"({"status":"hello","time":5,"timeNano":-1})"), 200) ==
        "1969-12-31T23:59:59.999999999Z hello\n");
  CHECK(in_terminal(message(R"({"status":"Downloading","time":86399,"id":"x","progressDetail":{"current":1,"total":2}})"),
                    100) == "\n\x1b[1A\x1b[2K\r1970-01-01T23:59:59.000000000Z x: Downloading       1B/2B\r\x1b[1B");
}

TEST_CASE("non-terminal mode: status lines only, no bars, no cursor") {
  const auto message = [](const char* json) { return std::string(json) + "\n"; };
  CHECK(without_terminal(downloading_half, 200).empty());
  CHECK(without_terminal(downloading_half, 50).empty());
  // With counts hidden and no room for a bar, Docker has nothing to draw, so it prints the status.
  CHECK(without_terminal(downloading_hidden, 50) == "abc123: Downloading\n");
  CHECK(without_terminal(downloading_hidden, 100) == "abc123: Downloading\n");
  CHECK(without_terminal(downloading_hidden, 200).empty());
  CHECK(without_terminal(message(R"({"status":"Pulling fs layer","progressDetail":{},"id":"a"})"), 200) ==
        "a: Pulling fs layer\n");
  CHECK(without_terminal(message(R"({"status":"create","id":"c1","from":"img"})"), 200) == "c1: (from img) create\n");
  CHECK(without_terminal(message(R"({"stream":"text\n","id":"s","progressDetail":{}})"), 200) == "s: text\n");
  CHECK(without_terminal(message(R"({"status":"Downloading","progress":"[==>   ] 1MB/2MB","id":"abc"})"), 200) ==
        "abc: Downloading [==>   ] 1MB/2MB");
  CHECK(without_terminal(message(R"({"stream":"Step 1/2 : FROM busybox\n"})"), 200) == "Step 1/2 : FROM busybox\n");
}

TEST_CASE("cursor bookkeeping: new ids open lines, older ids are reached up and back, id-less lines start anew") {
  const std::string stream =
      R"({"status":"Pulling from library/x","id":"latest"})" "\n"
      R"({"status":"Pulling fs layer","id":"a","progressDetail":{}})" "\n"
      R"({"status":"Pulling fs layer","id":"b","progressDetail":{}})" "\n"
      R"({"status":"Pulling fs layer","id":"c","progressDetail":{}})" "\n"
      R"({"status":"Downloading","id":"a","progressDetail":{"current":100,"total":1000}})" "\n"
      R"({"status":"Downloading","id":"c","progressDetail":{"current":10,"total":100}})" "\n"
      R"({"status":"Downloading","id":"b","progressDetail":{"current":5,"total":50}})" "\n"
      R"({"status":"Waiting","id":"d","progressDetail":{}})" "\n"
      R"({"status":"Download complete","id":"a","progressDetail":{}})" "\n"
      R"({"status":"note without id"})" "\n"
      R"({"status":"Downloading","id":"b","progressDetail":{"current":50,"total":50}})" "\n"
      R"({"status":"Downloading","id":"a","progressDetail":{"current":1,"total":2}})" "\n"
      R"({"status":"no progress","id":"b"})" "\n"
      R"({"status":"Downloading","id":"a","progressDetail":{"current":2,"total":2}})" "\n"
      R"({"status":"Digest: sha256:ffff"})" "\n";
  CHECK(in_terminal(stream, 80) ==
        "latest: Pulling from library/x\n"
        "\n\x1b[1A\x1b[2K\ra: Pulling fs layer \r\x1b[1B"
        "\n\x1b[1A\x1b[2K\rb: Pulling fs layer \r\x1b[1B"
        "\n\x1b[1A\x1b[2K\rc: Pulling fs layer \r\x1b[1B"
        "\x1b[3A\x1b[2K\ra: Downloading     100B/1kB\r\x1b[3B"
        "\x1b[1A\x1b[2K\rc: Downloading      10B/100B\r\x1b[1B"
        "\x1b[2A\x1b[2K\rb: Downloading       5B/50B\r\x1b[2B"
        "\n\x1b[1A\x1b[2K\rd: Waiting \r\x1b[1B"
        "\x1b[4A\x1b[2K\ra: Download complete \r\x1b[4B"
        "note without id\n"
        "\n\x1b[1A\x1b[2K\rb: Downloading      50B/50B\r\x1b[1B"
        "\n\x1b[1A\x1b[2K\ra: Downloading       1B/2B\r\x1b[1B"
        "b: no progress\n"
        "\n\x1b[1A\x1b[2K\ra: Downloading       2B/2B\r\x1b[1B"
        "Digest: sha256:ffff\n");
  CHECK(without_terminal(stream, 80) ==
        "latest: Pulling from library/x\n"
        "a: Pulling fs layer\n"
        "b: Pulling fs layer\n"
        "c: Pulling fs layer\n"
        "d: Waiting\n"
        "a: Download complete\n"
        "note without id\n"
        "b: no progress\n"
        "Digest: sha256:ffff\n");
}

TEST_CASE("a real pull in terminal mode at width 200") {
  CHECK(in_terminal(samples::docker_pull_progress, 200) ==
        "progress: Pulling from demo\n"
        "\n\x1b[1A\x1b[2K\r5d0aeceef7ee: Already exists \r\x1b[1B"
        "\n\x1b[1A\x1b[2K\r2a8f1e6b3c9d: Pulling fs layer \r\x1b[1B"
        "\n\x1b[1A\x1b[2K\r7c3b9e0f4d21: Pulling fs layer \r\x1b[1B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Waiting \r\x1b[1B"
        "\x1b[2A\x1b[2K\r2a8f1e6b3c9d: Downloading [=======>                                           ]  540.7kB/3.402MB\r\x1b[2B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Downloading [=>                                                 ]  1.081MB/29.12MB\r\x1b[1B"
        "\x1b[2A\x1b[2K\r2a8f1e6b3c9d: Downloading [==================================================>]  3.402MB/3.402MB\r\x1b[2B"
        "\x1b[2A\x1b[2K\r2a8f1e6b3c9d: Verifying Checksum \r\x1b[2B"
        "\x1b[2A\x1b[2K\r2a8f1e6b3c9d: Download complete \r\x1b[2B"
        "\x1b[2A\x1b[2K\r2a8f1e6b3c9d: Extracting [=====>                                             ]  393.2kB/3.402MB\r\x1b[2B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Downloading [==========================>                        ]   15.2MB/29.12MB\r\x1b[1B"
        "\x1b[2A\x1b[2K\r2a8f1e6b3c9d: Extracting [==================================================>]  3.402MB/3.402MB\r\x1b[2B"
        "\x1b[2A\x1b[2K\r2a8f1e6b3c9d: Pull complete \r\x1b[2B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Downloading [==================================================>]  29.12MB/29.12MB\r\x1b[1B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Verifying Checksum \r\x1b[1B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Download complete \r\x1b[1B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Extracting [=========================>                         ]  14.75MB/29.12MB\r\x1b[1B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Extracting [==================================================>]  29.12MB/29.12MB\r\x1b[1B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Pull complete \r\x1b[1B"
        "Digest: sha256:9e1f2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0\n"
        "Status: Downloaded newer image for localhost:5000/demo:progress\n");
}

TEST_CASE("a real pull in terminal mode at width 100, and without a terminal") {
  CHECK(in_terminal(samples::docker_pull_progress, 100) ==
        "progress: Pulling from demo\n"
        "\n\x1b[1A\x1b[2K\r5d0aeceef7ee: Already exists \r\x1b[1B"
        "\n\x1b[1A\x1b[2K\r2a8f1e6b3c9d: Pulling fs layer \r\x1b[1B"
        "\n\x1b[1A\x1b[2K\r7c3b9e0f4d21: Pulling fs layer \r\x1b[1B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Waiting \r\x1b[1B"
        "\x1b[2A\x1b[2K\r2a8f1e6b3c9d: Downloading  540.7kB/3.402MB\r\x1b[2B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Downloading  1.081MB/29.12MB\r\x1b[1B"
        "\x1b[2A\x1b[2K\r2a8f1e6b3c9d: Downloading  3.402MB/3.402MB\r\x1b[2B"
        "\x1b[2A\x1b[2K\r2a8f1e6b3c9d: Verifying Checksum \r\x1b[2B"
        "\x1b[2A\x1b[2K\r2a8f1e6b3c9d: Download complete \r\x1b[2B"
        "\x1b[2A\x1b[2K\r2a8f1e6b3c9d: Extracting  393.2kB/3.402MB\r\x1b[2B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Downloading   15.2MB/29.12MB\r\x1b[1B"
        "\x1b[2A\x1b[2K\r2a8f1e6b3c9d: Extracting  3.402MB/3.402MB\r\x1b[2B"
        "\x1b[2A\x1b[2K\r2a8f1e6b3c9d: Pull complete \r\x1b[2B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Downloading  29.12MB/29.12MB\r\x1b[1B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Verifying Checksum \r\x1b[1B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Download complete \r\x1b[1B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Extracting  14.75MB/29.12MB\r\x1b[1B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Extracting  29.12MB/29.12MB\r\x1b[1B"
        "\x1b[1A\x1b[2K\r7c3b9e0f4d21: Pull complete \r\x1b[1B"
        "Digest: sha256:9e1f2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0\n"
        "Status: Downloaded newer image for localhost:5000/demo:progress\n");
  const std::string expected_plain =
      "progress: Pulling from demo\n"
      "5d0aeceef7ee: Already exists\n"
      "2a8f1e6b3c9d: Pulling fs layer\n"
      "7c3b9e0f4d21: Pulling fs layer\n"
      "7c3b9e0f4d21: Waiting\n"
      "2a8f1e6b3c9d: Verifying Checksum\n"
      "2a8f1e6b3c9d: Download complete\n"
      "2a8f1e6b3c9d: Pull complete\n"
      "7c3b9e0f4d21: Verifying Checksum\n"
      "7c3b9e0f4d21: Download complete\n"
      "7c3b9e0f4d21: Pull complete\n"
      "Digest: sha256:9e1f2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0\n"
      "Status: Downloaded newer image for localhost:5000/demo:progress\n";
  CHECK(without_terminal(samples::docker_pull_progress, 200) == expected_plain);
  std::ostringstream out;
  plain policy(out);
  feed(samples::docker_pull_progress, policy);
  CHECK(out.str() == expected_plain);
}

TEST_CASE("aux messages are never printed, and keep the layer lines") {
  const std::string stream =
      R"({"status":"Pulling fs layer","id":"a","progressDetail":{}})" "\n"
      R"({"aux":{"ID":"sha256:1"}})" "\n"
      R"({"status":"Downloading","id":"a","progressDetail":{"current":1,"total":4}})" "\n";
  CHECK(in_terminal(stream, 100) ==
        "\n\x1b[1A\x1b[2K\ra: Pulling fs layer \r\x1b[1B"
        "\x1b[1A\x1b[2K\ra: Downloading       1B/4B\r\x1b[1B");
  CHECK(without_terminal(stream, 100) == "a: Pulling fs layer\n");
}

TEST_CASE("terminal and plain are the display in each mode; the terminal's clock gives the time left") {
  const std::string stream =
      R"({"status":"Downloading","id":"a","progressDetail":{"current":25,"total":100,"start":1700000000}})" "\n";
  std::ostringstream out;
  terminal policy(out, 100, fixed_clock(t0 + 100));
  feed(stream, policy);
  CHECK(out.str() == "\n\x1b[1A\x1b[2K\ra: Downloading      25B/100B 5m0s\r\x1b[1B");
  std::ostringstream narrow;
  plain hidden_counts(narrow, 100);
  feed(downloading_hidden, hidden_counts);
  CHECK(narrow.str() == "abc123: Downloading\n");
}

TEST_CASE("after 4096 layer lines without a reset, the lines start over") {
  std::string stream;
  for (int id = 0; id <= 4096; ++id)
    stream += fmt::format(R"({{"status":"Waiting","id":"{}","progressDetail":{{}}}})" "\n", id);
  stream += R"({"status":"Waiting","id":"0","progressDetail":{}})" "\n";
  const std::string shown = in_terminal(stream, 200);
  // Layer 4096 opened the 1st line of a new set, so layer 0 is new again: the 2nd line.
  CHECK(shown.ends_with("\n\x1b[1A\x1b[2K\r4096: Waiting \r\x1b[1B\n\x1b[1A\x1b[2K\r0: Waiting \r\x1b[1B"));
}

TEST_CASE("is_terminal, terminal_width and for_fd read the descriptor") {
  pseudo_terminal pty(120);
  CHECK(is_terminal(pty.device));
  CHECK(terminal_width(pty.device) == 120);
  int pipe_ends[2];
  REQUIRE(::pipe(pipe_ends) == 0);
  CHECK_FALSE(is_terminal(pipe_ends[1]));
  CHECK(terminal_width(pipe_ends[1]) == std::nullopt);

  std::ostringstream on_terminal;
  auto chosen = for_fd(on_terminal, pty.device);
  feed(downloading_half, chosen);
  CHECK(on_terminal.str() ==
        "\n\x1b[1A\x1b[2K\rabc123: Downloading [=============>                                     ]  12.35MB/45.68MB"
        "\r\x1b[1B");
  // The width is read at every progress line, so a resized terminal is followed.
  ::winsize size{};
  size.ws_col = 80;
  REQUIRE(::ioctl(pty.device, TIOCSWINSZ, &size) == 0);
  on_terminal.str("");
  feed(downloading_half, chosen);
  CHECK(on_terminal.str() == "\x1b[1A\x1b[2K\rabc123: Downloading  12.35MB/45.68MB\r\x1b[1B");

  std::ostringstream on_pipe;
  auto piped = for_fd(on_pipe, pipe_ends[1]);
  feed(downloading_half + downloading_hidden, piped);
  CHECK(on_pipe.str().empty());  // no terminal: width 200, so even hidden counts draw a bar
  ::close(pipe_ends[0]);
  ::close(pipe_ends[1]);
}

TEST_CASE("phase_of and classify: what each message means") {
  CHECK(phase_of("Pulling fs layer") == layer_phase::waiting);
  CHECK(phase_of("Waiting") == layer_phase::waiting);
  CHECK(phase_of("Downloading") == layer_phase::downloading);
  CHECK(phase_of("Verifying Checksum") == layer_phase::verifying);
  CHECK(phase_of("Download complete") == layer_phase::download_complete);
  CHECK(phase_of("Extracting") == layer_phase::extracting);
  CHECK(phase_of("Pull complete") == layer_phase::complete);
  CHECK(phase_of("Already exists") == layer_phase::already_exists);
  CHECK(phase_of("Retrying in 5 seconds") == layer_phase::other);
  CHECK(phase_of("downloading") == layer_phase::other);

  const auto meaning = [](const char* json) {
    auto m = parse_json_message(json);
    REQUIRE(m);
    return describe(classify(*m));
  };
  CHECK(meaning(R"({"status":"Retrying in 5 seconds","progressDetail":{},"id":"a1"})") == "layer a1 other 0/0");
  CHECK(meaning(R"({"status":"Download complete","id":"a1"})") == "layer a1 download_complete 0/0");
  CHECK(meaning(R"({"status":"Pulling from library/postgres","id":"16"})") == "other 16: Pulling from library/postgres");
  CHECK(meaning(R"({"status":"Trying to pull localhost:5000/demo:2..."})") ==
        "other : Trying to pull localhost:5000/demo:2...");
  CHECK(meaning(R"({"stream":"Step 1/2\n"})") == "other : ");
  CHECK(meaning(R"({"status":"Digest: sha256:1"})") == "digest sha256:1");
  CHECK(meaning(R"({"status":"Status: Image is up to date for postgres:16"})") ==
        "status Image is up to date for postgres:16");
  CHECK(meaning(R"({"status":"Digest: sha256:1","aux":{"Digest":"sha256:1"}})") == R"(aux {"Digest":"sha256:1"})");
}

TEST_CASE("callback: a Docker pull as typed events, in order") {
  std::vector<std::string> seen;
  callback policy([&](const event& e) { seen.push_back(describe(e)); });
  feed(samples::docker_pull_progress, policy);
  const std::vector<std::string> expected{
      "other progress: Pulling from demo",
      "layer 5d0aeceef7ee already_exists 0/0",
      "layer 2a8f1e6b3c9d waiting 0/0",
      "layer 7c3b9e0f4d21 waiting 0/0",
      "layer 7c3b9e0f4d21 waiting 0/0",
      "layer 2a8f1e6b3c9d downloading 540672/3401613",
      "layer 7c3b9e0f4d21 downloading 1081344/29124123",
      "layer 2a8f1e6b3c9d downloading 3401613/3401613",
      "layer 2a8f1e6b3c9d verifying 0/0",
      "layer 2a8f1e6b3c9d download_complete 0/0",
      "layer 2a8f1e6b3c9d extracting 393216/3401613",
      "layer 7c3b9e0f4d21 downloading 15204352/29124123",
      "layer 2a8f1e6b3c9d extracting 3401613/3401613",
      "layer 2a8f1e6b3c9d complete 0/0",
      "layer 7c3b9e0f4d21 downloading 29124123/29124123",
      "layer 7c3b9e0f4d21 verifying 0/0",
      "layer 7c3b9e0f4d21 download_complete 0/0",
      "layer 7c3b9e0f4d21 extracting 14745600/29124123",
      "layer 7c3b9e0f4d21 extracting 29124123/29124123",
      "layer 7c3b9e0f4d21 complete 0/0",
      R"(aux {"Digest":"sha256:9e1f2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"})",
      "digest sha256:9e1f2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
      "status Downloaded newer image for localhost:5000/demo:progress",
  };
  CHECK(seen == expected);
}

TEST_CASE("aggregate: every layer summed into one byte count and percentage") {
  std::vector<totals> changes;
  aggregate policy([&](const totals& t) { changes.push_back(t); });
  feed(samples::docker_pull_progress, policy);
  // layers, finished, current, total after each change; messages that change nothing are silent.
  const std::vector<totals> expected{
      {.current = 0, .total = 0, .layers = 1, .finished = 1},  // 5d0a… already exists
      {.current = 0, .total = 0, .layers = 2, .finished = 1},
      {.current = 0, .total = 0, .layers = 3, .finished = 1},
      {.current = 540672, .total = 3401613, .layers = 3, .finished = 1},
      {.current = 1622016, .total = 32525736, .layers = 3, .finished = 1},
      {.current = 4482957, .total = 32525736, .layers = 3, .finished = 1},
      {.current = 18605965, .total = 32525736, .layers = 3, .finished = 1},
      {.current = 18605965, .total = 32525736, .layers = 3, .finished = 2},  // 2a8f… complete
      {.current = 32525736, .total = 32525736, .layers = 3, .finished = 2},
      {.current = 32525736, .total = 32525736, .layers = 3, .finished = 3},
  };
  CHECK(changes == expected);
  CHECK(changes[3].percent() == doctest::Approx(15.8946).epsilon(1e-5));
  CHECK(changes[6].percent() == doctest::Approx(57.2038).epsilon(1e-5));
  CHECK(policy.state().percent() == 100.0);
  CHECK(totals{}.percent() == 0.0);
}

TEST_CASE("aggregate: a finished download counts fully, a wonky current at most its total") {
  aggregate policy;
  const std::string stream =
      R"({"status":"Downloading","id":"a","progressDetail":{"current":10,"total":100}})" "\n"
      R"({"status":"Download complete","id":"a","progressDetail":{}})" "\n"
      R"({"status":"Downloading","id":"b","progressDetail":{"current":500,"total":100}})" "\n"
      R"({"status":"Downloading","id":"c","progressDetail":{"current":7}})" "\n";
  feed(stream, policy);
  CHECK(policy.state() == totals{.current = 200, .total = 200, .layers = 3, .finished = 0});
}

TEST_CASE("aggregate: layers beyond 4096 are not counted") {
  aggregate policy;
  std::string stream;
  for (int id = 0; id <= 4096; ++id)
    stream += fmt::format(R"({{"status":"Downloading","id":"{}","progressDetail":{{"current":1,"total":2}}}})" "\n", id);
  feed(stream, policy);
  CHECK(policy.state() == totals{.current = 4096, .total = 8192, .layers = 4096, .finished = 0});
}

TEST_CASE("pull_image drives the callback and aggregate policies") {
  testing::fake_puller puller;
  puller.inspect = testing::missing();
  puller.pull = testing::streams({samples::docker_pull_progress});
  pull_image_options options;
  options.verify = false;

  std::size_t layer_events = 0;
  REQUIRE(pull_image(puller, "localhost:5000/demo:progress", options,
                     callback([&](const event& e) { layer_events += std::holds_alternative<layer_event>(e); })));
  CHECK(layer_events == 19);

  aggregate overall;
  REQUIRE(pull_image(puller, "localhost:5000/demo:progress", options, overall));
  CHECK(overall.state().percent() == 100.0);
  CHECK(overall.state().finished == 3);
}
