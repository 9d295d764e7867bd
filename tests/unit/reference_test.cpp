// Image references: the table of valid and invalid inputs, the round-trip properties, and the
// request forms for the Docker Engine API.
#include "imagepull/reference.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace {

using imagepull::reference;

const std::string hex64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string hex96 = "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b";
const std::string hex128 =
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a5"
    "38327af927da3e";
const std::string d256 = "sha256:" + hex64;
const std::string d384 = "sha384:" + hex96;
const std::string d512 = "sha512:" + hex128;
const std::string id64 = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

struct valid_case {
  std::string input;
  std::string normalized;  // to_string()
  std::string familiar;
  std::string domain;
  std::string path;
  std::string tag;
  std::string digest;
};

// clang-format off
std::vector<valid_case> valid_cases() {
  const std::string a255 = repeat("a/", 127) + "a";  // 255 characters
  const std::string n247 = repeat("b", 247);         // 255 with "library/"
  const std::string p255 = repeat("c", 255);
  const std::string t128 = repeat("t", 128);
  const std::string long_domain = repeat("x", 60) + "." + repeat("y", 60) + "." + repeat("z", 60) + "." + repeat("w", 60) + ".com";
  return {
      // Docker Hub, familiar and normalized spellings
      {"postgres", "docker.io/library/postgres:latest", "postgres:latest", "docker.io", "library/postgres", "latest", ""},
      {"postgres:16", "docker.io/library/postgres:16", "postgres:16", "docker.io", "library/postgres", "16", ""},
      {"postgres:16.2-alpine3.19", "docker.io/library/postgres:16.2-alpine3.19", "postgres:16.2-alpine3.19", "docker.io", "library/postgres", "16.2-alpine3.19", ""},
      {"library/postgres", "docker.io/library/postgres:latest", "postgres:latest", "docker.io", "library/postgres", "latest", ""},
      {"docker.io/postgres", "docker.io/library/postgres:latest", "postgres:latest", "docker.io", "library/postgres", "latest", ""},
      {"docker.io/library/postgres:16", "docker.io/library/postgres:16", "postgres:16", "docker.io", "library/postgres", "16", ""},
      {"index.docker.io/postgres", "docker.io/library/postgres:latest", "postgres:latest", "docker.io", "library/postgres", "latest", ""},
      {"index.docker.io/library/postgres:16", "docker.io/library/postgres:16", "postgres:16", "docker.io", "library/postgres", "16", ""},
      {"index.docker.io/bitnami/redis:7", "docker.io/bitnami/redis:7", "bitnami/redis:7", "docker.io", "bitnami/redis", "7", ""},
      {"bitnami/redis", "docker.io/bitnami/redis:latest", "bitnami/redis:latest", "docker.io", "bitnami/redis", "latest", ""},
      {"docker.io/bitnami/redis:7.2", "docker.io/bitnami/redis:7.2", "bitnami/redis:7.2", "docker.io", "bitnami/redis", "7.2", ""},
      {"library/foo/bar", "docker.io/library/foo/bar:latest", "library/foo/bar:latest", "docker.io", "library/foo/bar", "latest", ""},
      {"docker.io/library/a/b", "docker.io/library/a/b:latest", "library/a/b:latest", "docker.io", "library/a/b", "latest", ""},
      {"store/foo/bar", "docker.io/store/foo/bar:latest", "store/foo/bar:latest", "docker.io", "store/foo/bar", "latest", ""},
      {"other/library", "docker.io/other/library:latest", "other/library:latest", "docker.io", "other/library", "latest", ""},
      {"library/library", "docker.io/library/library:latest", "library:latest", "docker.io", "library/library", "latest", ""},
      {"a", "docker.io/library/a:latest", "a:latest", "docker.io", "library/a", "latest", ""},
      {"0", "docker.io/library/0:latest", "0:latest", "docker.io", "library/0", "latest", ""},
      {"a/b/c/d/e", "docker.io/a/b/c/d/e:latest", "a/b/c/d/e:latest", "docker.io", "a/b/c/d/e", "latest", ""},
      {"0/1", "docker.io/0/1:latest", "0/1:latest", "docker.io", "0/1", "latest", ""},
      // path separators: one '.', one or two '_', any number of '-'
      {"ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base:latest", "ubuntu-12.04-base:latest", "docker.io", "library/ubuntu-12.04-base", "latest", ""},
      {"docker---rules/docker", "docker.io/docker---rules/docker:latest", "docker---rules/docker:latest", "docker.io", "docker---rules/docker", "latest", ""},
      {"dock__er/docker", "docker.io/dock__er/docker:latest", "dock__er/docker:latest", "docker.io", "dock__er/docker", "latest", ""},
      {"a_b/c.d", "docker.io/a_b/c.d:latest", "a_b/c.d:latest", "docker.io", "a_b/c.d", "latest", ""},
      {"a-b-c/d--e", "docker.io/a-b-c/d--e:latest", "a-b-c/d--e:latest", "docker.io", "a-b-c/d--e", "latest", ""},
      {"a__b", "docker.io/library/a__b:latest", "a__b:latest", "docker.io", "library/a__b", "latest", ""},
      {"a.b.c", "docker.io/library/a.b.c:latest", "a.b.c:latest", "docker.io", "library/a.b.c", "latest", ""},
      {"a-----b", "docker.io/library/a-----b:latest", "a-----b:latest", "docker.io", "library/a-----b", "latest", ""},
      {"a_b.c-d__e", "docker.io/library/a_b.c-d__e:latest", "a_b.c-d__e:latest", "docker.io", "library/a_b.c-d__e", "latest", ""},
      {"test_com/foo", "docker.io/test_com/foo:latest", "test_com/foo:latest", "docker.io", "test_com/foo", "latest", ""},
      // hexadecimal names that are not a bare 64-hex image ID
      {"thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest", "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest", "docker.io", "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "latest", ""},
      {id64.substr(0, 63), "docker.io/library/" + id64.substr(0, 63) + ":latest", id64.substr(0, 63) + ":latest", "docker.io", "library/" + id64.substr(0, 63), "latest", ""},
      {"docker.io/" + id64, "docker.io/library/" + id64 + ":latest", id64 + ":latest", "docker.io", "library/" + id64, "latest", ""},
      {id64 + ":v1", "docker.io/library/" + id64 + ":v1", id64 + ":v1", "docker.io", "library/" + id64, "v1", ""},
      {"dbcc1", "docker.io/library/dbcc1:latest", "dbcc1:latest", "docker.io", "library/dbcc1", "latest", ""},
      // no '/': the first component is never a domain, so "host:port" is a name and a tag
      {"localhost", "docker.io/library/localhost:latest", "localhost:latest", "docker.io", "library/localhost", "latest", ""},
      {"localhost:5000", "docker.io/library/localhost:5000", "localhost:5000", "docker.io", "library/localhost", "5000", ""},
      {"example.com", "docker.io/library/example.com:latest", "example.com:latest", "docker.io", "library/example.com", "latest", ""},
      {"example.com:5000", "docker.io/library/example.com:5000", "example.com:5000", "docker.io", "library/example.com", "5000", ""},
      {"192.168.0.1", "docker.io/library/192.168.0.1:latest", "192.168.0.1:latest", "docker.io", "library/192.168.0.1", "latest", ""},
      {"192.168.0.1:80", "docker.io/library/192.168.0.1:80", "192.168.0.1:80", "docker.io", "library/192.168.0.1", "80", ""},
      {"foo_bar.com:8080", "docker.io/library/foo_bar.com:8080", "foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", ""},
      {"foo/foo_bar.com:8080", "docker.io/foo/foo_bar.com:8080", "foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", ""},
      // tags: upper case allowed, [\w][\w.-]{0,127}
      {"postgres:LATEST", "docker.io/library/postgres:LATEST", "postgres:LATEST", "docker.io", "library/postgres", "LATEST", ""},
      {"lowercase:Uppercase", "docker.io/library/lowercase:Uppercase", "lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", ""},
      {"postgres:_x", "docker.io/library/postgres:_x", "postgres:_x", "docker.io", "library/postgres", "_x", ""},
      {"postgres:0", "docker.io/library/postgres:0", "postgres:0", "docker.io", "library/postgres", "0", ""},
      {"postgres:v1.0-rc.1_beta", "docker.io/library/postgres:v1.0-rc.1_beta", "postgres:v1.0-rc.1_beta", "docker.io", "library/postgres", "v1.0-rc.1_beta", ""},
      {"postgres:a--b..c__", "docker.io/library/postgres:a--b..c__", "postgres:a--b..c__", "docker.io", "library/postgres", "a--b..c__", ""},
      {"postgres:" + t128, "docker.io/library/postgres:" + t128, "postgres:" + t128, "docker.io", "library/postgres", t128, ""},
      {"postgres:latest", "docker.io/library/postgres:latest", "postgres:latest", "docker.io", "library/postgres", "latest", ""},
      // digests, with and without a tag
      {"postgres@" + d256, "docker.io/library/postgres@" + d256, "postgres@" + d256, "docker.io", "library/postgres", "", d256},
      {"postgres:16@" + d256, "docker.io/library/postgres:16@" + d256, "postgres:16@" + d256, "docker.io", "library/postgres", "16", d256},
      {"busybox:latest@" + d256, "docker.io/library/busybox:latest@" + d256, "busybox:latest@" + d256, "docker.io", "library/busybox", "latest", d256},
      {"docker.io/library/redis@" + d256, "docker.io/library/redis@" + d256, "redis@" + d256, "docker.io", "library/redis", "", d256},
      {"org/app@" + d512, "docker.io/org/app@" + d512, "org/app@" + d512, "docker.io", "org/app", "", d512},
      {"org/app@" + d384, "docker.io/org/app@" + d384, "org/app@" + d384, "docker.io", "org/app", "", d384},
      {"ghcr.io/org/app@" + d256, "ghcr.io/org/app@" + d256, "ghcr.io/org/app@" + d256, "ghcr.io", "org/app", "", d256},
      {"ghcr.io/org/app:v1@" + d384, "ghcr.io/org/app:v1@" + d384, "ghcr.io/org/app:v1@" + d384, "ghcr.io", "org/app", "v1", d384},
      {"localhost:5000/app@" + d256, "localhost:5000/app@" + d256, "localhost:5000/app@" + d256, "localhost:5000", "app", "", d256},
      {"[::1]:5000/app:1@" + d256, "[::1]:5000/app:1@" + d256, "[::1]:5000/app:1@" + d256, "[::1]:5000", "app", "1", d256},
      {"xn--7o8h.com/myimage:xn--7o8h.com@" + d512, "xn--7o8h.com/myimage:xn--7o8h.com@" + d512, "xn--7o8h.com/myimage:xn--7o8h.com@" + d512, "xn--7o8h.com", "myimage", "xn--7o8h.com", d512},
      // other registries
      {"localhost/foo", "localhost/foo:latest", "localhost/foo:latest", "localhost", "foo", "latest", ""},
      {"localhost:5000/team/app", "localhost:5000/team/app:latest", "localhost:5000/team/app:latest", "localhost:5000", "team/app", "latest", ""},
      {"localhost:5000/app:1", "localhost:5000/app:1", "localhost:5000/app:1", "localhost:5000", "app", "1", ""},
      {"localhost:1/a", "localhost:1/a:latest", "localhost:1/a:latest", "localhost:1", "a", "latest", ""},
      {"ghcr.io/org/app", "ghcr.io/org/app:latest", "ghcr.io/org/app:latest", "ghcr.io", "org/app", "latest", ""},
      {"quay.io/prometheus/node-exporter:v1.7.0", "quay.io/prometheus/node-exporter:v1.7.0", "quay.io/prometheus/node-exporter:v1.7.0", "quay.io", "prometheus/node-exporter", "v1.7.0", ""},
      {"registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9", "registry.k8s.io", "pause", "3.9", ""},
      {"gcr.io/distroless/static-debian12:nonroot", "gcr.io/distroless/static-debian12:nonroot", "gcr.io/distroless/static-debian12:nonroot", "gcr.io", "distroless/static-debian12", "nonroot", ""},
      {"mcr.microsoft.com/dotnet/sdk:8.0", "mcr.microsoft.com/dotnet/sdk:8.0", "mcr.microsoft.com/dotnet/sdk:8.0", "mcr.microsoft.com", "dotnet/sdk", "8.0", ""},
      {"public.ecr.aws/docker/library/alpine:3.19", "public.ecr.aws/docker/library/alpine:3.19", "public.ecr.aws/docker/library/alpine:3.19", "public.ecr.aws", "docker/library/alpine", "3.19", ""},
      {"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "app", "1", ""},
      {"registry.example.com:443/a/b/c:tag", "registry.example.com:443/a/b/c:tag", "registry.example.com:443/a/b/c:tag", "registry.example.com:443", "a/b/c", "tag", ""},
      {"test:5000/repo", "test:5000/repo:latest", "test:5000/repo:latest", "test:5000", "repo", "latest", ""},
      {"test:5000/repo:tag", "test:5000/repo:tag", "test:5000/repo:tag", "test:5000", "repo", "tag", ""},
      {"test-com:8080/foo", "test-com:8080/foo:latest", "test-com:8080/foo:latest", "test-com:8080", "foo", "latest", ""},
      {"xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", ""},
      {"sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", "some-long-tag", ""},
      {"b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app", "test.example.com", ""},
      {"127.0.0.1:5000/docker/docker", "127.0.0.1:5000/docker/docker:latest", "127.0.0.1:5000/docker/docker:latest", "127.0.0.1:5000", "docker/docker", "latest", ""},
      {"192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", ""},
      {"127.0.0.1/x", "127.0.0.1/x:latest", "127.0.0.1/x:latest", "127.0.0.1", "x", "latest", ""},
      {"999.999.999.999:99999/x", "999.999.999.999:99999/x:latest", "999.999.999.999:99999/x:latest", "999.999.999.999:99999", "x", "latest", ""},
      {"a.b/c", "a.b/c:latest", "a.b/c:latest", "a.b", "c", "latest", ""},
      {"a-b.c-d/e", "a-b.c-d/e:latest", "a-b.c-d/e:latest", "a-b.c-d", "e", "latest", ""},
      // upper case makes the first component a domain, and the domain keeps its case
      {"Docker/docker", "Docker/docker:latest", "Docker/docker:latest", "Docker", "docker", "latest", ""},
      {"DOCKER/docker", "DOCKER/docker:latest", "DOCKER/docker:latest", "DOCKER", "docker", "latest", ""},
      {"Foo/bar", "Foo/bar:latest", "Foo/bar:latest", "Foo", "bar", "latest", ""},
      {"Example.COM/app:Tag", "Example.COM/app:Tag", "Example.COM/app:Tag", "Example.COM", "app", "Tag", ""},
      {"Docker.io/foo", "Docker.io/foo:latest", "Docker.io/foo:latest", "Docker.io", "foo", "latest", ""},
      {"docker.io:443/foo", "docker.io:443/foo:latest", "docker.io:443/foo:latest", "docker.io:443", "foo", "latest", ""},
      // IPv6, bracketed, with and without a port
      {"[::1]:5000/x:1", "[::1]:5000/x:1", "[::1]:5000/x:1", "[::1]:5000", "x", "1", ""},
      {"[::1]/x", "[::1]/x:latest", "[::1]/x:latest", "[::1]", "x", "latest", ""},
      {"[::]:5000/x", "[::]:5000/x:latest", "[::]:5000/x:latest", "[::]:5000", "x", "latest", ""},
      {"[2001:db8::1]/repo", "[2001:db8::1]/repo:latest", "[2001:db8::1]/repo:latest", "[2001:db8::1]", "repo", "latest", ""},
      {"[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag", ""},
      {"[2001:db8::1]:5000/repo", "[2001:db8::1]:5000/repo:latest", "[2001:db8::1]:5000/repo:latest", "[2001:db8::1]:5000", "repo", "latest", ""},
      {"[2001:db8::]:5000/repo", "[2001:db8::]:5000/repo:latest", "[2001:db8::]:5000/repo:latest", "[2001:db8::]:5000", "repo", "latest", ""},
      {"[fc00::1]:5000/docker/docker", "[fc00::1]:5000/docker/docker:latest", "[fc00::1]:5000/docker/docker:latest", "[fc00::1]:5000", "docker/docker", "latest", ""},
      {"[FC00::ABCD]:5000/x", "[FC00::ABCD]:5000/x:latest", "[FC00::ABCD]:5000/x:latest", "[FC00::ABCD]:5000", "x", "latest", ""},
      {"[2001:db8::1]:5000/repo:tag@" + d256, "[2001:db8::1]:5000/repo:tag@" + d256, "[2001:db8::1]:5000/repo:tag@" + d256, "[2001:db8::1]:5000", "repo", "tag", d256},
      // Docker Hub names whose first path component looks like a registry keep "docker.io/" when shortened
      {"docker.io/foo.com/bar", "docker.io/foo.com/bar:latest", "docker.io/foo.com/bar:latest", "docker.io", "foo.com/bar", "latest", ""},
      {"docker.io/localhost/bar", "docker.io/localhost/bar:latest", "docker.io/localhost/bar:latest", "docker.io", "localhost/bar", "latest", ""},
      {"index.docker.io/index.docker.io/x", "docker.io/index.docker.io/x:latest", "docker.io/index.docker.io/x:latest", "docker.io", "index.docker.io/x", "latest", ""},
      {"docker.io/library/foo.com", "docker.io/library/foo.com:latest", "foo.com:latest", "docker.io", "library/foo.com", "latest", ""},
      {"docker.io/library/localhost:1", "docker.io/library/localhost:1", "localhost:1", "docker.io", "library/localhost", "1", ""},
      // length limits: the path counts (with an implied "library/"), the domain does not
      {a255 + ":tag-puts-this-over-max", "docker.io/" + a255 + ":tag-puts-this-over-max", a255 + ":tag-puts-this-over-max", "docker.io", a255, "tag-puts-this-over-max", ""},
      {n247, "docker.io/library/" + n247 + ":latest", n247 + ":latest", "docker.io", "library/" + n247, "latest", ""},
      {"example.com/" + p255, "example.com/" + p255 + ":latest", "example.com/" + p255 + ":latest", "example.com", p255, "latest", ""},
      {long_domain + "/app", long_domain + "/app:latest", long_domain + "/app:latest", long_domain, "app", "latest", ""},
  };
}

struct invalid_case {
  std::string input;
  std::string reason;  // the text after `invalid reference "<input>": `
};

std::vector<invalid_case> invalid_cases() {
  const std::string lower_reason = "repository name must be lowercase";
  const std::string id_reason = "is an image ID, not a reference to pull (name the repository, e.g. \"name@sha256:...\")";
  const std::string ws = "has leading or trailing whitespace";
  const std::string empty_component = "repository name has an empty path component (a doubled, leading or trailing '/')";
  const std::string missing = "repository name is missing";
  const std::string sep_help = " (allowed: one '.', one or two '_', or one or more '-')";
  const std::string v6_help = " may contain only hex digits and ':' (zone identifiers and embedded IPv4 are not supported)";
  const std::string bracket_help = " looks like an IPv6 address: write it in brackets, e.g. \"[::1]:5000\"";
  const std::string alg_help = " (supported: sha256, sha384, sha512)";
  return {
      // empty input, whitespace, control characters, non-ASCII
      {"", "reference is empty"},
      {" postgres", ws},
      {"postgres ", ws},
      {"postgres\n", ws},
      {"\tpostgres", ws},
      {"\r\n", ws},
      {" ", ws},
      {"post gres", "contains whitespace at offset 4"},
      {"postgres:1 6", "contains whitespace at offset 10"},
      {"a\r\nb", "contains whitespace at offset 1"},
      {"a\vb", "contains whitespace at offset 1"},
      {"postgres\x01", "contains a control character (0x01 at offset 8)"},
      {"post\x7fgres", "contains a control character (0x7f at offset 4)"},
      {std::string("postgres\0", 9), "contains a control character (0x00 at offset 8)"},
      {std::string("\0", 1), "contains a control character (0x00 at offset 0)"},
      {"postgres\x1b[31m", "contains a control character (0x1b at offset 8)"},
      {"p\u00f6stgres", "contains a non-ASCII byte (0xc3 at offset 1); image references are ASCII only"},
      {"postgres:\uff11\uff16", "contains a non-ASCII byte (0xef at offset 9); image references are ASCII only"},
      {"\u200bpostgres", "contains a non-ASCII byte (0xe2 at offset 0); image references are ASCII only"},
      {"\xff", "contains a non-ASCII byte (0xff at offset 0); image references are ASCII only"},
      {"postgres:\u00e4", "contains a non-ASCII byte (0xc3 at offset 9); image references are ASCII only"},
      {"\u0440\u043e\u0441\u0442gres/app", "contains a non-ASCII byte (0xd1 at offset 0); image references are ASCII only"},
      // image IDs are not references
      {id64, id_reason},
      {hex64, id_reason},
      {d256, id_reason},
      {d512, id_reason},
      {d384, id_reason},
      // upper case in the repository path
      {"Postgres", lower_reason},
      {"docker/Docker", lower_reason},
      {"docker.io/docker/Docker", lower_reason},
      {"Uppercase:tag", lower_reason},
      {"test:5000/Uppercase/lowercase:tag", lower_reason},
      {"FOO_BAR/x", lower_reason},
      {"localhost/App", lower_reason},
      {"Foo/Bar", lower_reason},
      {"ghcr.io/Org/app", lower_reason},
      {upper(id64), lower_reason},
      // path components and separators
      {"-docker", "path component \"-docker\" must start with a lowercase letter or digit"},
      {"-docker/docker", "path component \"-docker\" must start with a lowercase letter or digit"},
      {"docker-/docker", "path component \"docker-\" must end with a lowercase letter or digit"},
      {"-docker-/docker", "path component \"-docker-\" must start with a lowercase letter or digit"},
      {"_docker/_docker", "path component \"_docker\" must start with a lowercase letter or digit"},
      {"____/____", "path component \"____\" must start with a lowercase letter or digit"},
      {".hidden", "path component \".hidden\" must start with a lowercase letter or digit"},
      {"a/b.", "path component \"b.\" must end with a lowercase letter or digit"},
      {"docker/dock..er", "path component \"dock..er\" has an invalid separator \"..\"" + sep_help},
      {"docker/dock_.er", "path component \"dock_.er\" has an invalid separator \"_.\"" + sep_help},
      {"docker/dock-.er", "path component \"dock-.er\" has an invalid separator \"-.\"" + sep_help},
      // a first component with a '.' is a registry (Docker's rule), so these fail as host names
      {"dock..er/docker", "registry host \"dock..er\" has an empty component"},
      {"dock_.er/docker", "registry host \"dock_.er\" contains an invalid character '_'"},
      {"dock-.er/docker", "registry host \"dock-.er\" has a component that starts or ends with '-'"},
      {"dock___er", "path component \"dock___er\" has an invalid separator \"___\"" + sep_help},
      {"a._b", "path component \"a._b\" has an invalid separator \"._\"" + sep_help},
      {"a-_b", "path component \"a-_b\" has an invalid separator \"-_\"" + sep_help},
      {"docker///docker", empty_component},
      {"docker/", empty_component},
      {"/docker", empty_component},
      {"a//b", empty_component},
      {"localhost:5000/a/", empty_component},
      {"localhost//a", empty_component},
      {"localhost/", missing},
      {"localhost:5000/", missing},
      {"localhost:5000/:tag", missing},
      {":justtag", missing},
      {"@" + d256, missing},
      {":", missing},
      {"/", empty_component},
      {"aa/asdf$$^/aa", "repository name contains an invalid character '$'"},
      {"foo+bar", "repository name contains an invalid character '+'"},
      {"foo~bar", "repository name contains an invalid character '~'"},
      {"a/b\\c", "repository name contains an invalid character '\\'"},
      {"a/b\"c", "repository name contains an invalid character '\"'"},
      {"foo/bar?x=1", "repository name contains an invalid character '?'"},
      {"foo&tag=evil", "repository name contains an invalid character '&'"},
      {"foo%2fbar", "repository name contains an invalid character '%'"},
      {"foo#frag", "repository name contains an invalid character '#'"},
      // domains
      {"https://github.com/docker/docker", "registry port is empty"},
      {"a_b.com/foo", "registry host \"a_b.com\" contains an invalid character '_'"},
      {"ex@mple.com/x", "registry host \"ex@mple.com\" contains an invalid character '@'"},
      {"-docker.io/docker/docker", "registry host \"-docker.io\" has a component that starts or ends with '-'"},
      {"docker-.io/x", "registry host \"docker-.io\" has a component that starts or ends with '-'"},
      {"a..b/c", "registry host \"a..b\" has an empty component"},
      {".a/b", "registry host \".a\" has an empty component"},
      {"a./b", "registry host \"a.\" has an empty component"},
      {":5000/x", "registry host is empty"},
      {"example.com:/foo", "registry port is empty"},
      {"example.com:abc/foo", "registry port \"abc\" must be a number"},
      {"localhost:-1/foo", "registry port \"-1\" must be a number"},
      {"postgres:tag/x", "registry port \"tag\" must be a number"},
      {"fc00::1:5000/debian", "registry \"fc00::1:5000\"" + bracket_help},
      {"::1/foo", "registry \"::1\"" + bracket_help},
      {"[fe80::1%eth0]:5000/debian", "IPv6 address \"[fe80::1%eth0]\"" + v6_help},
      {"[fe80::1%@invalidzone]:5000/repo", "IPv6 address \"[fe80::1%@invalidzone]\"" + v6_help},
      {"[2001:db8:3:4::192.0.2.33]:5000/debian", "IPv6 address \"[2001:db8:3:4::192.0.2.33]\"" + v6_help},
      {"[fc00::1/x", "IPv6 address in \"[fc00::1\" has no closing ']'"},
      {"[]:5000/x", "IPv6 address is empty"},
      {"[::1]x:5/y", "registry \"[::1]x:5\" has unexpected characters after the IPv6 address"},
      {"[::1]:/x", "registry port is empty"},
      {"[::1]:50a/x", "registry port \"50a\" must be a number"},
      {"[fc00::1]", "repository name contains an invalid character '['"},
      {"[fc00::1]:5000", "repository name contains an invalid character '['"},
      {"[2001:db8::1]:tag", "repository name contains an invalid character '['"},
      // tags
      {"postgres:", "tag is empty (remove the ':' or name a tag)"},
      {"postgres:@" + d256, "tag is empty (remove the ':' or name a tag)"},
      {"postgres:-x", "tag \"-x\" must start with a letter, digit or underscore"},
      {"postgres:.x", "tag \".x\" must start with a letter, digit or underscore"},
      {"postgres:" + repeat("t", 129), "tag is longer than 128 characters (129)"},
      {"postgres:a:b", "tag contains an invalid character ':'"},
      {"localhost:5000:tag", "tag contains an invalid character ':'"},
      {"postgres:a+b", "tag contains an invalid character '+'"},
      {"postgres:16&fromImage=evil", "tag contains an invalid character '&'"},
      {"postgres:16#x", "tag contains an invalid character '#'"},
      // digests
      {"postgres@", "digest is empty (remove the '@' or give a digest)"},
      {"postgres:16@", "digest is empty (remove the '@' or give a digest)"},
      {"postgres@sha256", "digest \"sha256\" must be algorithm:hex, e.g. sha256:<64 hex digits>"},
      {"postgres@:" + hex64, "digest \":" + hex64 + "\" must be algorithm:hex, e.g. sha256:<64 hex digits>"},
      {"postgres@md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported digest algorithm \"md5\"" + alg_help},
      {"postgres@SHA256:" + hex64, "unsupported digest algorithm \"SHA256\"" + alg_help},
      {"validname@invaliddigest:" + repeat("f", 64), "unsupported digest algorithm \"invaliddigest\"" + alg_help},
      {"repo@blake3:" + hex64, "unsupported digest algorithm \"blake3\"" + alg_help},
      {"repo@sha256+b64:" + hex64, "unsupported digest algorithm \"sha256+b64\"" + alg_help},
      {"repo@sha256:" + repeat("f", 34), "digest has the wrong length for sha256: 34 hex digits, expected 64"},
      {"repo@sha256:" + hex64 + "0", "digest has the wrong length for sha256: 65 hex digits, expected 64"},
      {"repo@sha256:", "digest has the wrong length for sha256: 0 hex digits, expected 64"},
      {"repo@sha512:" + hex64, "digest has the wrong length for sha512: 64 hex digits, expected 128"},
      {"repo@sha384:" + hex64, "digest has the wrong length for sha384: 64 hex digits, expected 96"},
      {"repo@sha256:" + upper(hex64), "digest must be lowercase hexadecimal"},
      {"repo@sha256:" + hex64.substr(0, 63) + "g", "digest contains a character that is not hexadecimal: 'g'"},
      {"repo@sha256:" + hex64 + "@" + d256, "digest contains a character that is not hexadecimal: '@'"},
      {"repo@" + d256 + ":" + hex64, "digest contains a character that is not hexadecimal: ':'"},
      {"repo@sha256:" + hex64 + "&x=1", "digest contains a character that is not hexadecimal: '&'"},
      // a '/' after the digest makes everything before it the "registry"
      {"repo@sha256:" + hex64 + "/x", "registry host \"repo@sha256\" contains an invalid character '@'"},
      // length limits
      {repeat("a/", 128) + "a:tag", "repository name is longer than 255 characters (257)"},
      {repeat("b", 248), "repository name is longer than 255 characters (256, with the implied \"library/\")"},
      {"docker.io/" + repeat("b", 248), "repository name is longer than 255 characters (256, with the implied \"library/\")"},
      {"example.com/" + repeat("c", 256), "repository name is longer than 255 characters (256)"},
      {repeat("A", 10000), lower_reason},
      {repeat("a", 5000) + " ", ws},
  };
}
// clang-format on

/// @brief The quoted input as the error message shows it, for inputs that need no escaping.
bool plain(std::string_view s) {
  if (s.size() > 120) return false;
  for (const char c : s)
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  return true;
}

bool printable_ascii(std::string_view s) {
  for (const char c : s)
    if (c < 0x20 || c >= 0x7f) return false;
  return true;
}

/// @brief What a request form may contain: nothing that ends a query value or adds a path segment.
bool api_safe(std::string_view s, bool allow_slash, bool allow_at) {
  if (s.empty()) return false;
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-' || c == ':' || (allow_slash && (c == '/' || c == '[' || c == ']')) ||
                    (allow_at && c == '@');
    if (!ok) return false;
  }
  if (!allow_slash) return true;
  if (s.front() == '/' || s.back() == '/') return false;
  for (std::size_t start = 0;;) {  // no empty, "." or ".." segment
    const auto slash = s.find('/', start);
    const auto segment = s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

std::string shown(const std::string& s) { return s.size() > 100 ? s.substr(0, 100) + "..." : s; }

void check_valid(const valid_case& c) {
  const auto input = shown(c.input);
  CAPTURE(input);
  const auto parsed = reference::parse(c.input);
  REQUIRE_MESSAGE(parsed.has_value(), (parsed ? std::string{} : parsed.error().what()));
  const auto& ref = *parsed;
  CHECK(ref.to_string() == c.normalized);
  CHECK(ref.familiar() == c.familiar);
  CHECK(ref.domain() == c.domain);
  CHECK(ref.path() == c.path);
  CHECK(ref.tag() == c.tag);
  CHECK(ref.digest() == c.digest);
  CHECK(ref.name() == c.domain + "/" + c.path);
  CHECK(fmt::format("{}", ref) == c.familiar);

  // The request forms.
  CHECK(ref.api_from_image() == ref.name());
  CHECK(ref.api_tag() == (c.digest.empty() ? c.tag : c.digest));
  CHECK(ref.api_inspect_name() == ref.name() + (c.digest.empty() ? ":" + c.tag : "@" + c.digest));
  CHECK(api_safe(ref.api_from_image(), true, false));
  CHECK(api_safe(ref.api_tag(), false, false));
  CHECK(api_safe(ref.api_inspect_name(), true, true));

  // Round trips: every printed form parses back to the same reference.
  const auto again = reference::parse(ref.to_string());
  REQUIRE(again.has_value());
  CHECK(*again == ref);
  const auto short_form = reference::parse(ref.familiar());
  REQUIRE_MESSAGE(short_form.has_value(), ref.familiar());
  CHECK(*short_form == ref);
  const auto inspect = reference::parse(ref.api_inspect_name());
  REQUIRE(inspect.has_value());
  CHECK(inspect->name() == ref.name());
  CHECK(inspect->digest() == ref.digest());
}

void check_invalid(const invalid_case& c) {
  const auto input = shown(c.input);
  CAPTURE(input);
  const auto parsed = reference::parse(c.input);
  REQUIRE_FALSE(parsed.has_value());
  const auto& err = parsed.error();
  CHECK(imagepull::is_invalid_argument(err));
  CHECK(imagepull::resolve(err) == imagepull::errc::invalid_argument);
  CHECK_FALSE(imagepull::is_not_found(err));
  const std::string text = err.what();
  CHECK(printable_ascii(text));  // safe to print to a terminal, whatever the input
  CHECK(text.size() < 400 + c.reason.size());
  if (plain(c.input)) {
    CHECK(text == "invalid reference \"" + c.input + "\": " + c.reason);
  } else {
    CHECK(text.starts_with("invalid reference \""));
    CHECK(text.ends_with(": " + c.reason));
  }
}

}  // namespace

TEST_CASE("reference: the table has at least 150 cases") {
  CHECK(valid_cases().size() + invalid_cases().size() >= 150);
  MESSAGE("valid cases: " << valid_cases().size() << ", invalid cases: " << invalid_cases().size());
}

TEST_CASE("reference: valid references parse, normalize and round-trip") {
  for (const auto& c : valid_cases()) check_valid(c);
}

TEST_CASE("reference: invalid references are invalid_argument with a reason") {
  for (const auto& c : invalid_cases()) check_invalid(c);
}

TEST_CASE("reference: request forms for the Docker Engine API") {
  struct api_case {
    std::string input, from_image, tag, inspect;
  };
  const std::vector<api_case> cases = {
      {"postgres", "docker.io/library/postgres", "latest", "docker.io/library/postgres:latest"},
      {"postgres:16", "docker.io/library/postgres", "16", "docker.io/library/postgres:16"},
      // a digest wins over a tag, as in the Docker CLI: the tag is not sent
      {"postgres:16@" + d256, "docker.io/library/postgres", d256, "docker.io/library/postgres@" + d256},
      {"ghcr.io/org/app@" + d256, "ghcr.io/org/app", d256, "ghcr.io/org/app@" + d256},
      // a port is not a tag, and a lone "name:5000" is a tag, not a port
      {"localhost:5000/app", "localhost:5000/app", "latest", "localhost:5000/app:latest"},
      {"localhost:5000", "docker.io/library/localhost", "5000", "docker.io/library/localhost:5000"},
      {"[::1]:5000/x:1", "[::1]:5000/x", "1", "[::1]:5000/x:1"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    const auto ref = reference::parse(c.input);
    REQUIRE(ref.has_value());
    CHECK(ref->api_from_image() == c.from_image);
    CHECK(ref->api_tag() == c.tag);
    CHECK(ref->api_inspect_name() == c.inspect);
  }
}

TEST_CASE("reference: value semantics") {
  static_assert(!std::is_default_constructible_v<reference>, "only parse() makes a reference");
  static_assert(std::is_nothrow_move_constructible_v<reference>);
  static_assert(std::is_copy_constructible_v<reference>);
  const auto a = reference::parse("postgres");
  const auto b = reference::parse("docker.io/library/postgres:latest");
  const auto c = reference::parse("postgres:16");
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(*a == *b);
  CHECK_FALSE(*a == *c);
  const reference copy = *a;
  CHECK(copy == *a);
  CHECK(fmt::format("{:>20}", *c) == "         postgres:16");
}

TEST_CASE("reference: an error quotes the input safely and keeps it short") {
  const auto r = reference::parse("bad\x1b]0;owned\x07:\"tag\"");
  REQUIRE_FALSE(r);
  CHECK(std::string(r.error().what()) ==
        "invalid reference \"bad\\x1b]0;owned\\x07:\\\"tag\\\"\": contains a control character (0x1b at offset 3)");
  const auto long_input = reference::parse(std::string(1000, 'A'));
  REQUIRE_FALSE(long_input);
  CHECK(std::string(long_input.error().what()) ==
        "invalid reference \"" + std::string(120, 'A') + "\"... (1000 bytes): repository name must be lowercase");
}

TEST_CASE("reference: every prefix and one-byte change of a valid case is handled") {
  // A cheap, deterministic cousin of the fuzz target: no crash, and whatever parses round-trips.
  const std::string alphabet = std::string("aZ09._-/:@[]%& \t\n") + '\0' + "\x7f\xc3";
  std::size_t accepted = 0;
  std::size_t rejected = 0;
  const auto check = [&](const std::string& input) {
    const auto r = reference::parse(input);
    if (!r) {
      ++rejected;
      CHECK(imagepull::is_invalid_argument(r.error()));
      return;
    }
    ++accepted;
    const auto again = reference::parse(r->to_string());
    const auto short_form = reference::parse(r->familiar());
    CHECK((again && *again == *r));
    CHECK((short_form && *short_form == *r));
    CHECK(api_safe(r->api_from_image(), true, false));
    CHECK(api_safe(r->api_tag(), false, false));
    CHECK(api_safe(r->api_inspect_name(), true, true));
  };
  for (const auto& c : valid_cases()) {
    if (c.input.size() > 300) continue;
    for (std::size_t n = 0; n <= c.input.size(); ++n) check(c.input.substr(0, n));
    for (std::size_t i = 0; i < c.input.size(); ++i) {
      for (const char x : alphabet) {
        std::string mutated = c.input;
        mutated[i] = x;
        check(mutated);
      }
    }
  }
  MESSAGE("mutations accepted: " << accepted << ", rejected: " << rejected);
  CHECK(accepted > 0);
  CHECK(rejected > 0);
}
