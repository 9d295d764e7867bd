#include "imagepull/jsonmessage.hpp"

#include "stream_samples.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace imagepull;

namespace {

struct decoded {
  std::vector<json_message> messages;
  expected<void, error> result;
};

// Feeds the chunks in order, then finishes, as pull_image does.
decoded decode(const std::vector<std::string_view>& chunks, std::size_t max_line = IMAGEPULL_MAX_MESSAGE_LINE) {
  message_decoder decoder(max_line);
  decoded out{{}, {}};
  for (const auto chunk : chunks) {
    out.result = decoder.feed(chunk, [&](const json_message& m) { out.messages.push_back(m); });
    if (!out.result) return out;
  }
  out.result = decoder.finish([&](const json_message& m) { out.messages.push_back(m); });
  return out;
}

// Every way the decoder must see the same stream: whole, byte by byte, and cut in two at
// every position.
std::vector<std::vector<std::string_view>> cuttings(std::string_view stream) {
  std::vector<std::vector<std::string_view>> all{{stream}};
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < stream.size(); ++i) bytes.push_back(stream.substr(i, 1));
  all.push_back(bytes);
  for (std::size_t i = 0; i <= stream.size(); ++i) all.push_back({stream.substr(0, i), stream.substr(i)});
  return all;
}

std::string text_of(const expected<void, error>& result) { return result ? "ok" : result.error().what(); }

}  // namespace

TEST_CASE("a message with every field") {
  const auto m = parse_json_message(
      R"({"stream":"s","status":"Downloading","progress":"[=>]","id":"abc","from":"f",)"
      R"("progressDetail":{"current":5,"total":10,"start":1700000000,"units":"items","hidecounts":true},)"
      R"("time":1700000001,"timeNano":1700000001000000002,"aux":{"Digest":"sha256:00","n":[1,2]}})");
  REQUIRE(m);
  CHECK(m->stream == "s");
  CHECK(m->status == "Downloading");
  CHECK(m->progress == "[=>]");
  CHECK(m->id == "abc");
  CHECK(m->from == "f");
  REQUIRE(m->progress_detail);
  CHECK(*m->progress_detail == json_progress{5, 10, 1700000000, "items", true});
  CHECK(m->time == 1700000001);
  CHECK(m->time_nano == 1700000001000000002);
  CHECK(m->aux == R"({"Digest":"sha256:00","n":[1,2]})");
  CHECK_FALSE(m->error_detail);
  CHECK_FALSE(m->failure());
}

TEST_CASE("keys match case-insensitively, as Go's decoder does") {
  const auto m = parse_json_message(
      R"({"STATUS":"a","Id":"b","ProgressDetail":{"CURRENT":3,"Total":4,"HideCounts":true},"errordetail":{"Code":404,"MESSAGE":"m"},"Aux":1,"TIMENANO":7})");
  REQUIRE(m);
  CHECK(m->status == "a");
  CHECK(m->id == "b");
  CHECK(*m->progress_detail == json_progress{3, 4, 0, "", true});
  CHECK(*m->error_detail == json_error{404, "m"});
  CHECK(m->aux == "1");
  CHECK(m->time_nano == 7);
}

TEST_CASE("null leaves a field unset, a later duplicate wins, unknown keys are ignored") {
  const auto m = parse_json_message(R"({"status":"first","Status":"second","id":null,"progressDetail":null,"x":{"y":1}})");
  REQUIRE(m);
  CHECK(m->status == "second");
  CHECK(m->id.empty());
  CHECK_FALSE(m->progress_detail);
}

TEST_CASE("malformed messages say what is wrong") {
  const std::pair<std::string_view, std::string_view> table[] = {
      {R"({"status":5})", "field \"status\" must be a string"},
      {R"({"progressDetail":{"current":1.5}})", "field \"current\" must be a 64-bit integer"},
      {R"({"progressDetail":{"total":18446744073709551615}})", "field \"total\" must be a 64-bit integer"},
      {R"({"progressDetail":[1]})", "field \"progressDetail\" must be an object"},
      {R"({"errorDetail":"x"})", "field \"errorDetail\" must be an object"},
      {R"({"errorDetail":{"code":4294967296}})", "field \"code\" must be a 32-bit integer"},
      {R"({"progressDetail":{"hidecounts":1}})", "field \"hidecounts\" must be true or false"},
      {R"([1,2])", "not a JSON object"},
      {R"("status")", "not a JSON object"},
      {R"({"status":"a")", "parse error"},
      {R"({"status":"a"} trailing)", "parse error"},
      {"", "parse error"},
  };
  for (const auto& [line, reason] : table) {
    CAPTURE(line);
    const auto m = parse_json_message(line);
    REQUIRE_FALSE(m);
    CHECK(m.error().find(reason) != std::string::npos);
  }
}

TEST_CASE("a message fails when it has errorDetail or a non-empty error string") {
  SUBCASE("errorDetail with a code maps through the HTTP category") {
    const auto f = parse_json_message(R"({"errorDetail":{"code":401,"message":"authentication required"},"error":"x"})")->failure();
    REQUIRE(f);
    CHECK(f->what() == "authentication required");
    CHECK(is(*f, http_error_code(401)));
    CHECK(is_unauthorized(*f));
  }
  SUBCASE("a bare error string, which the Docker CLI would ignore") {
    const auto f = parse_json_message(R"({"error":"manifest unknown"})")->failure();
    REQUIRE(f);
    CHECK(f->what() == "manifest unknown");
    CHECK(is_not_found(*f));
  }
  SUBCASE("errorDetail without a message takes the error string") {
    const auto f = parse_json_message(R"({"errorDetail":{},"error":"boom"})")->failure();
    REQUIRE(f);
    CHECK(f->what() == "boom");
    CHECK(resolve(*f) == errc::unknown);
  }
  SUBCASE("an empty errorDetail is still an error") {
    const auto f = parse_json_message(R"({"errorDetail":{}})")->failure();
    REQUIRE(f);
    CHECK(f->what() == "the daemon reported an error without a message");
  }
  SUBCASE("an empty error string is not") { CHECK_FALSE(parse_json_message(R"({"error":"","status":"ok"})")->failure()); }
}

TEST_CASE("a whole pull stream decodes the same however it is cut") {
  for (const auto& chunks : cuttings(samples::docker_pull)) {
    CAPTURE(chunks.size());
    const auto out = decode(chunks);
    REQUIRE(out.result);
    REQUIRE(out.messages.size() == 11);
    CHECK(out.messages[0].status == "Pulling from multi");
    CHECK(out.messages[3].progress_detail->current == 32768);
    CHECK(out.messages[3].progress == "[===>    ]  32.77kB/524.3kB");
    CHECK(out.messages[10].status == "Status: Downloaded newer image for localhost:5000/multi:1");
  }
}

TEST_CASE("aux messages are delivered") {
  const std::string stream = "{\"status\":\"x\"}\n{\"aux\":{\"Digest\":\"sha256:ab\"}}\n";
  for (const auto& chunks : cuttings(stream)) {
    const auto out = decode(chunks);
    REQUIRE(out.result);
    REQUIRE(out.messages.size() == 2);
    CHECK(out.messages[1].aux == R"({"Digest":"sha256:ab"})");
  }
}

TEST_CASE("an error after progress lines ends the stream as an error") {
  const std::string stream = samples::docker_corrupt_layer + "{\"status\":\"after\"}\n";
  for (const auto& chunks : cuttings(stream)) {
    const auto out = decode(chunks);
    REQUIRE_FALSE(out.result);
    CHECK(text_of(out.result) == "filesystem layer verification failed for digest sha256:0b1f");
    CHECK(resolve(out.result.error()) == errc::data_loss);
    CHECK(out.messages.size() == 3);  // the progress before it, nothing after it
  }
}

TEST_CASE("Podman's in-stream missing tag is not_found") {
  for (const auto& chunks : cuttings(samples::podman_missing_tag)) {
    const auto out = decode(chunks);
    REQUIRE_FALSE(out.result);
    CHECK(is_not_found(out.result.error()));
    CHECK(out.messages.size() == 1);
  }
}

TEST_CASE("after an error the decoder keeps answering with it") {
  message_decoder decoder;
  const auto none = [](const json_message&) { FAIL("no message expected"); };
  REQUIRE_FALSE(decoder.feed("{\"error\":\"first\"}\n", none));
  CHECK(text_of(decoder.feed("{\"status\":\"fine\"}\n", none)) == "first");
  CHECK(text_of(decoder.finish(none)) == "first");
}

TEST_CASE("blank lines and \\r\\n endings are accepted") {
  for (const auto& chunks : cuttings("\n\r\n{\"status\":\"a\"}\r\n  \n{\"status\":\"b\"}\n")) {
    const auto out = decode(chunks);
    REQUIRE(out.result);
    REQUIRE(out.messages.size() == 2);
    CHECK(out.messages[1].status == "b");
  }
}

TEST_CASE("a malformed line is a data_loss error naming the line") {
  for (const auto& chunks : cuttings("{\"status\":\"a\"}\n{\"status\":\n")) {
    const auto out = decode(chunks);
    REQUIRE_FALSE(out.result);
    CHECK(is_data_loss(out.result.error()));
    CHECK(text_of(out.result).starts_with("pull stream line 2 is malformed: "));
    CHECK(out.messages.size() == 1);
  }
}

TEST_CASE("a whole last message without its newline counts, its error included") {
  for (const auto& chunks : cuttings("{\"status\":\"a\"}\n{\"status\":\"b\"}")) {
    const auto out = decode(chunks);
    REQUIRE(out.result);
    REQUIRE(out.messages.size() == 2);
    CHECK(out.messages[1].status == "b");
  }
  for (const auto& chunks : cuttings("{\"status\":\"a\"}\n{\"errorDetail\":{\"message\":\"manifest unknown\"}}")) {
    const auto out = decode(chunks);
    REQUIRE_FALSE(out.result);
    CHECK(text_of(out.result) == "manifest unknown");
    CHECK(is_not_found(out.result.error()));
  }
}

TEST_CASE("a message nested absurdly deep is malformed, and nothing recurses on it") {
  const std::string deep = "{\"aux\":" + std::string(100000, '[') + std::string(100000, ']') + "}\n";
  const auto out = decode({deep, "{\"status\":\"after\"}\n"});
  REQUIRE_FALSE(out.result);
  CHECK(text_of(out.result) == "pull stream line 1 is malformed: nested deeper than 64 levels");
  CHECK(out.messages.empty());
  // Brackets inside strings are text, not nesting.
  const auto text = parse_json_message("{\"status\":\"" + std::string(100, '[') + "\\\"[\"}");
  REQUIRE(text);
  CHECK(text->status == std::string(100, '[') + "\"[");
  CHECK(parse_json_message("{\"aux\":" + std::string(63, '[') + std::string(63, ']') + "}"));
}

TEST_CASE("a stream cut short in the middle of a line is an error") {
  for (const auto& chunks : cuttings("{\"status\":\"a\"}\n{\"status\":\"b")) {
    const auto out = decode(chunks);
    REQUIRE_FALSE(out.result);
    CHECK(is_data_loss(out.result.error()));
    CHECK(text_of(out.result) == "pull stream ended in the middle of line 2 (12 bytes without a newline)");
  }
}

TEST_CASE("an over-long line is refused as soon as it is too long") {
  const std::string long_value(2000, 'x');
  const std::string stream = "{\"status\":\"a\"}\n{\"status\":\"" + long_value + "\"}\n";
  SUBCASE("complete in one chunk") {
    const auto out = decode({stream}, 1024);
    REQUIRE_FALSE(out.result);
    CHECK(is_resource_exhausted(out.result.error()));
    CHECK(text_of(out.result) == "pull stream line 2 is longer than 1024 bytes");
    CHECK(out.messages.size() == 1);
  }
  SUBCASE("arriving byte by byte, without ever seeing its end") {
    message_decoder decoder(1024);
    std::size_t fed = 0;
    expected<void, error> result;
    const std::string endless(4096, ' ');
    for (; fed < endless.size() && result; ++fed) result = decoder.feed(endless.substr(fed, 1), [](const json_message&) {});
    CHECK(text_of(result) == "pull stream line 1 is longer than 1024 bytes");
    CHECK(fed == 1025);
  }
  SUBCASE("a line of exactly the limit is fine") {
    const std::string line = "{\"status\":\"" + std::string(1024 - 13, 'y') + "\"}";
    REQUIRE(line.size() == 1024);
    const auto out = decode({line + "\r\n"}, 1024);
    CHECK(out.result);
    CHECK(out.messages.size() == 1);
  }
}

TEST_CASE("a long stream of messages decodes with the line count kept") {
  message_decoder decoder;
  std::size_t seen = 0;
  const std::string line = "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1,\"total\":2},\"id\":\"abc\"}\n";
  for (int i = 0; i < 100000; ++i) REQUIRE(decoder.feed(line, [&](const json_message&) { ++seen; }));
  CHECK(decoder.finish([&](const json_message&) { ++seen; }));
  CHECK(seen == 100000);
  CHECK(decoder.lines() == 100000);
}
