// A TCP listener on 127.0.0.1 whose port the kernel picks, for the tests' own small servers.
#pragma once

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct loopback_listener {
  int fd = -1;
  int port = 0;
};

inline loopback_listener listen_on_loopback(int backlog) {
  loopback_listener l;
  l.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(l.fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(l.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(l.fd, backlog) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(l.fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  l.port = ntohs(addr.sin_port);
  return l;
}
