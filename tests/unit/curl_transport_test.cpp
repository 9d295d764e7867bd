// The libcurl transport against small servers on loopback that misbehave on purpose: silent,
// cut short, slow. Real sockets and real libcurl; the daemons are in tests/e2e.
#include "imagepull/transport/curl.hpp"

#include "../common/loopback.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <string>
#include <thread>

using namespace imagepull;

namespace {

// Accepts one connection, reads the request, then does what it is told with it.
class one_shot_server {
public:
  explicit one_shot_server(std::function<void(int client)> behaviour) {
    const auto listener = listen_on_loopback(1);
    listener_ = listener.fd;
    port_ = listener.port;
    thread_ = std::thread([this, behaviour = std::move(behaviour)] {
      const int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) return;
      char request[4096];
      (void)read(client, request, sizeof request);  // one small request: its content is not checked
      accepted_.set_value();
      behaviour(client);
      close(client);
    });
  }
  ~one_shot_server() {
    shutdown(listener_, SHUT_RDWR);
    thread_.join();
    close(listener_);
  }
  std::string url() const { return fmt::format("http://127.0.0.1:{}", port_); }
  std::future<void> accepted() { return accepted_.get_future(); }

private:
  int listener_ = -1;
  int port_ = 0;
  std::promise<void> accepted_;
  std::thread thread_;
};

void send_text(int fd, std::string_view text) { REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size())); }

// Blocks until the peer closes: the server side of "never answers".
void wait_for_close(int fd) {
  char byte;
  while (read(fd, &byte, 1) > 0) {}
}

transport::curl_transport make_transport(const std::string& url, std::chrono::seconds idle = std::chrono::seconds(60)) {
  auto t = transport::curl_transport::create({.base_url = url, .idle_timeout = idle});
  REQUIRE(t);
  return std::move(*t);
}

const transport::body_sink ignore = [](const transport::response_head&, std::string_view) {};

}  // namespace

TEST_CASE("curl transport: a daemon that never answers hits the idle timeout: deadline_exceeded") {
  one_shot_server server(wait_for_close);
  auto t = make_transport(server.url(), std::chrono::seconds(1));
  const auto head = t.send({"GET", "/_ping", {}, {}}, ignore);
  REQUIRE_FALSE(head);
  CHECK(is_deadline_exceeded(head.error()));
  CHECK(head.error().what().starts_with("GET /_ping: "));
}

TEST_CASE("curl transport: a stop requested from another thread ends the request as canceled") {
  one_shot_server server(wait_for_close);
  auto t = make_transport(server.url());
  std::stop_source stop;
  auto accepted = server.accepted();
  std::thread canceller([&] {
    accepted.wait();  // the request is on the wire, and will never be answered
    stop.request_stop();
  });
  const auto head = t.send({"GET", "/_ping", {}, stop.get_token()}, ignore);
  canceller.join();
  REQUIRE_FALSE(head);
  CHECK(is_canceled(head.error()));
  CHECK(head.error().what() == "GET /_ping: canceled");
}

TEST_CASE("curl transport: a body cut short is an error, never a success") {
  one_shot_server server([](int fd) {
    send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"status\":\"Pulling\"}\n");
  });
  auto t = make_transport(server.url());
  std::string body;
  const auto head = t.send({"POST", "/v1.41/images/create?fromImage=x&tag=1", {}, {}},
                           [&](const transport::response_head& h, std::string_view chunk) {
                             CHECK(h.status == 200);
                             body += chunk;
                           });
  REQUIRE_FALSE(head);
  CHECK(body == "{\"status\":\"Pulling\"}\n");  // what did arrive was handed over as it came
  CHECK(is_data_loss(head.error()));
}

TEST_CASE("curl transport: a chunked stream is handed over with its status and headers") {
  one_shot_server server([](int fd) {
    send_text(fd, "HTTP/1.1 200 OK\r\nAPI-Version: 1.41\r\nTransfer-Encoding: chunked\r\n\r\n");
    send_text(fd, "4\r\nab\r\n\r\n3\r\ncd\n\r\n0\r\n\r\n");
  });
  auto t = make_transport(server.url());
  std::string body;
  const auto head = t.send({"GET", "/x", {{"X-Test", "1"}}, {}},
                           [&](const transport::response_head&, std::string_view chunk) { body += chunk; });
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->header("api-version") == "1.41");
  CHECK(head->header("Api-Version") == "1.41");
  CHECK(head->header("Missing").empty());
  CHECK(body == "ab\r\ncd\n");
}

TEST_CASE("curl transport: nothing listening is unavailable") {
  std::string url;
  {
    one_shot_server closed_soon([](int) {});
    url = closed_soon.url();
    // Connect once so the server thread ends, then the port is closed.
    auto t = make_transport(url);
    (void)t.send({"GET", "/", {}, {}}, ignore);
  }
  auto t = make_transport(url);
  const auto head = t.send({"GET", "/_ping", {}, {}}, ignore);
  REQUIRE_FALSE(head);
  CHECK(is_unavailable(head.error()));
  CHECK(head.error().what().find("Connection refused") != std::string::npos);
}
