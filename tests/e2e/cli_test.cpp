// The imagepull command-line tool, end to end against the harness's real daemons.
#include "imagepull/docker/connect.hpp"

#include "../common/loopback.hpp"
#include "support.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

using namespace imagepull;
using namespace e2e;

namespace {

struct ran {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

// Runs the CLI with args; on_output sees stdout as it grows and may signal the process.
ran run_cli(const std::vector<std::string>& args, const std::function<void(pid_t, const std::string&)>& on_output = {}) {
  std::vector<std::string> argv_storage{env("IMAGEPULL_E2E_CLI")};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  REQUIRE(pipe2(out_pipe, O_CLOEXEC) == 0);
  REQUIRE(pipe2(err_pipe, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  REQUIRE(spawned == 0);

  ran result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0) {
    REQUIRE(poll(fds, 2, 120'000) > 0);  // a bound, not a timing assumption: a hang fails
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buffer[4096];
      const auto n = read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      sinks[i]->append(buffer, static_cast<std::size_t>(n));
      if (i == 0 && on_output) on_output(pid, result.out);
    }
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    REQUIRE_MESSAGE(!j.is_discarded(), line);
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<nlohmann::json> results_of(const std::vector<nlohmann::json>& events) {
  std::vector<nlohmann::json> out;
  for (const auto& e : events)
    if (e["event"] == "result") out.push_back(e);
  return out;
}

void remove_image(const std::string& host, const std::string& image) {
  auto client = connect_host(host);
  e2e::remove_image(client, image);
}

// A TCP relay to the registry that lets about 64 KiB through per second, so that a pull lasts
// long enough to be interrupted in the middle, deterministically.
class slow_relay {
public:
  slow_relay() {
    const auto registry = env("IMAGEPULL_E2E_REGISTRY");
    target_port_ = std::stoi(registry.substr(registry.rfind(':') + 1));
    const auto listener = listen_on_loopback(16);
    listener_ = listener.fd;
    port_ = listener.port;
    thread_ = std::jthread([this](std::stop_token stop) { serve(stop); });
  }
  ~slow_relay() {
    thread_.request_stop();
    thread_.join();
    close(listener_);
  }
  /// The open registry's image, reached through the relay (Docker takes localhost:* as insecure).
  std::string image(std::string_view name_and_tag) const { return fmt::format("localhost:{}/{}", port_, name_and_tag); }

private:
  void serve(std::stop_token stop) {
    std::vector<std::jthread> connections;
    while (!stop.stop_requested()) {
      pollfd p{listener_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      const int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      connections.emplace_back([this, client](std::stop_token s) { relay(client, s); });
    }
  }

  void relay(int client, std::stop_token stop) {
    const int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(target_port_));
    if (connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
      char buffer[8192];
      while (!stop.stop_requested()) {
        if (poll(fds, 2, 100) < 0) break;
        bool closed = false;
        for (int i = 0; i < 2 && !closed; ++i) {
          if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
          const auto n = read(fds[i].fd, buffer, sizeof buffer);
          closed = n <= 0 || write(fds[1 - i].fd, buffer, static_cast<std::size_t>(n)) != n;
          if (i == 1) std::this_thread::sleep_for(std::chrono::milliseconds(125));  // 8 KiB / 125 ms
        }
        if (closed) break;
      }
    }
    close(upstream);
    close(client);
  }

  int target_port_ = 0;
  int listener_ = -1;
  int port_ = 0;
  std::jthread thread_;
};

}  // namespace

TEST_CASE("cli: --help, --version and usage errors") {
  const auto help = run_cli({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.starts_with("usage: imagepull [options] IMAGE..."));
  const auto version = run_cli({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out == "imagepull " IMAGEPULL_VERSION_STRING "\n");
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {}, {"--jobs", "0", "x"}, {"--policy", "sometimes", "x"}, {"--timeout", "-1", "x"}, {"--frobnicate", "x"},
           {"--host"}, {"--host", "ssh://example", "x"}}) {
    CAPTURE(fmt::format("{}", fmt::join(bad, " ")));
    const auto r = run_cli(bad);
    CHECK(r.exit_code == 2);
    CHECK(r.err.starts_with("imagepull: "));
    CHECK(r.out.empty());
  }
}

TEST_CASE("cli: present, missing, and the same image twice, on both daemons") {
  const auto image = env("IMAGEPULL_E2E_REGISTRY") + "/other:1";
  for (const char* host_variable : {"IMAGEPULL_E2E_DOCKER_HOST", "IMAGEPULL_E2E_PODMAN_HOST"}) {
    const auto host = env(host_variable);
    CAPTURE(host);
    remove_image(host, image);
    const auto first = run_cli({"--host", host, "--json", image, image});
    CHECK(first.exit_code == 0);
    const auto results = results_of(json_lines(first.out));
    REQUIRE(results.size() == 1);  // named twice, pulled once
    CHECK(results[0]["ok"] == true);
    CHECK(results[0]["pulled"] == true);
    CHECK(results[0]["id"].get<std::string>().starts_with("sha256:"));
    CHECK(present(host, image));

    const auto second = run_cli({"--host", host, image});
    CHECK(second.exit_code == 0);
    CHECK(second.out == image + ": present " + results[0]["id"].get<std::string>() + "\n");
    CHECK(second.err.empty());
  }
}

TEST_CASE("cli: failures are one stderr line each, with categories in --json") {
  const auto host = env("IMAGEPULL_E2E_DOCKER_HOST");
  const auto missing_tag = env("IMAGEPULL_E2E_REGISTRY") + "/demo:no-such-tag";
  const auto private_image = env("IMAGEPULL_E2E_AUTH_REGISTRY") + "/private:1";
  const auto down = env("IMAGEPULL_E2E_DOWN_REGISTRY") + "/demo:1";
  remove_image(host, private_image);
  const auto r = run_cli({"--host", host, "--json", "--jobs", "2", missing_tag, private_image, down, "Invalid:Ref"});
  CHECK(r.exit_code == 1);
  const auto results = results_of(json_lines(r.out));
  REQUIRE(results.size() == 4);
  std::map<std::string, std::string> category;
  for (const auto& e : results) {
    CHECK(e["ok"] == false);
    CHECK(e["chain"].is_array());
    CHECK(e["error"].get<std::string>().find(env("IMAGEPULL_E2E_AUTH_PASSWORD")) == std::string::npos);
    category[e["image"]] = e["category"];
  }
  CHECK(category[missing_tag] == "not_found");
  CHECK(category[private_image] == "unauthorized");
  CHECK(category[down] == "unavailable");
  CHECK(category["Invalid:Ref"] == "invalid_argument");
  // stderr: exactly one line per image, each the whole chain.
  std::istringstream err(r.err);
  std::vector<std::string> lines;
  for (std::string line; std::getline(err, line);) lines.push_back(line);
  CHECK(lines.size() == 4);
  for (const auto& line : lines) CHECK(line.starts_with("imagepull: "));
  CHECK(r.err.find("imagepull: failed to pull image \"" + missing_tag + "\": ") != std::string::npos);
}

TEST_CASE("cli: a daemon that is not there") {
  const auto socket = env("IMAGEPULL_E2E_DIR") + "/absent.sock";
  const auto r = run_cli({"--host", "unix://" + socket, "--json", "x:1"});
  CHECK(r.exit_code == 1);
  const auto results = results_of(json_lines(r.out));
  REQUIRE(results.size() == 1);
  CHECK(results[0]["category"] == "unavailable");
  CHECK(r.err.find(socket) != std::string::npos);
}

TEST_CASE("cli: --jobs 2 pulls two images, progress lines prefixed by their image") {
  const auto demo = env("IMAGEPULL_E2E_REGISTRY") + "/demo:1";
  const auto multi = env("IMAGEPULL_E2E_REGISTRY") + "/multi:1";
  const auto host = env("IMAGEPULL_E2E_PODMAN_HOST");
  remove_image(host, demo);
  remove_image(host, multi);
  const auto r = run_cli({"--host", host, "--jobs", "2", demo, multi});
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  std::istringstream out(r.out);
  for (std::string line; std::getline(out, line);)
    CHECK_MESSAGE((line.starts_with(demo + ": ") || line.starts_with(multi + ": ")), line);
  CHECK(present(host, demo));
  CHECK(present(host, multi));
}

TEST_CASE("cli: --policy never and --quiet") {
  const auto host = env("IMAGEPULL_E2E_DOCKER_HOST");
  const auto image = env("IMAGEPULL_E2E_REGISTRY") + "/demo:1";
  remove_image(host, image);
  const auto never = run_cli({"--host", host, "--policy", "never", image});
  CHECK(never.exit_code == 1);
  CHECK(never.err.find("is not present and the pull policy is never") != std::string::npos);
  CHECK_FALSE(present(host, image));
  const auto quiet = run_cli({"--host", host, "--quiet", image});
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.out.empty());
  CHECK(quiet.err.empty());
  CHECK(present(host, image));
}

TEST_CASE("cli: Ctrl-C (or SIGTERM) cancels a pull in progress and exits 130 (143)") {
  const auto host = env("IMAGEPULL_E2E_DOCKER_HOST");
  const slow_relay relay;
  const auto image = relay.image("multi:1");
  for (const auto& [signal, exit_code] : {std::pair{SIGINT, 130}, std::pair{SIGTERM, 143}}) {
    CAPTURE(signal);
    remove_image(host, image);
    bool signalled = false;
    const auto r = run_cli({"--host", host, image}, [&](pid_t pid, const std::string& out) {
      if (!signalled && out.find("Pulling fs layer") != std::string::npos) {
        signalled = true;
        kill(pid, signal);
      }
    });
    REQUIRE(signalled);
    CHECK(r.exit_code == exit_code);
    CHECK(r.err.find("canceled") != std::string::npos);
    CHECK_FALSE(present(host, image));
  }
}

TEST_CASE("cli: --timeout also bounds a daemon that never answers") {
  // A socket that accepts connections (the kernel's backlog does) and never says a word.
  const auto path = env("IMAGEPULL_E2E_DIR") + "/silent.sock";
  const int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(path.size() < sizeof addr.sun_path);
  std::copy(path.begin(), path.end(), addr.sun_path);
  REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(listener, 8) == 0);
  const auto r = run_cli({"--host", "unix://" + path, "--json", "--timeout", "1", "x:1"});
  close(listener);
  CHECK(r.exit_code == 1);
  const auto results = results_of(json_lines(r.out));
  REQUIRE(results.size() == 1);
  CHECK(results[0]["category"] == "deadline_exceeded");
  CHECK(r.err.find("timed out after 1s") != std::string::npos);
}

TEST_CASE("cli: --timeout ends a stalled pull as deadline_exceeded") {
  const auto host = env("IMAGEPULL_E2E_DOCKER_HOST");
  const slow_relay relay;
  const auto image = relay.image("multi:1");
  remove_image(host, image);
  const auto r = run_cli({"--host", host, "--json", "--timeout", "1", image});
  CHECK(r.exit_code == 1);
  const auto results = results_of(json_lines(r.out));
  REQUIRE(results.size() == 1);
  CHECK(results[0]["category"] == "deadline_exceeded");
  CHECK(r.err.find("timed out after 1s") != std::string::npos);
}

TEST_CASE("cli: on a terminal, Docker's display ends with one finished line per layer") {
  // tmux gives the tool a real pseudo-terminal, 200 columns wide, and shows the final screen.
  const auto host = env("IMAGEPULL_E2E_DOCKER_HOST");
  const auto image = env("IMAGEPULL_E2E_REGISTRY") + "/multi:1";
  const auto layers = std::stoul(env("IMAGEPULL_E2E_MULTI_LAYERS"));
  remove_image(host, image);
  const auto tmux = fmt::format("tmux -L imagepull-e2e-{}", getpid());
  const auto inner = fmt::format("{} --host {} {}; echo exit=$?; {} wait-for -S pulled; exec sleep 600",
                                 env("IMAGEPULL_E2E_CLI"), host, image, tmux);
  REQUIRE(std::system(fmt::format("{} new-session -d -x 200 -y 50 -s pull \"{}\"", tmux, inner).c_str()) == 0);
  const int waited = std::system(fmt::format("timeout 120 {} wait-for pulled", tmux).c_str());
  std::string screen;
  if (FILE* pane = popen(fmt::format("{} capture-pane -p -t pull", tmux).c_str(), "r")) {
    char buffer[4096];
    for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pane)) > 0;) screen.append(buffer, n);
    pclose(pane);
  }
  std::system(fmt::format("{} kill-server", tmux).c_str());
  REQUIRE(waited == 0);
  CAPTURE(screen);

  std::vector<std::string> lines;
  std::istringstream in(screen);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  // In terminal mode each layer's line is redrawn in place, so a layer id starts exactly one
  // line, and it reads "Pull complete"; plain mode would leave "Pulling fs layer" lines too.
  const std::regex layer_line("^([0-9a-f]{12}): (.*)$");
  std::map<std::string, std::vector<std::string>> per_layer;
  for (const auto& line : lines) {
    CHECK(line.find('\x1b') == std::string::npos);
    if (std::smatch m; std::regex_match(line, m, layer_line)) per_layer[m[1]].push_back(m[2]);
  }
  CHECK(per_layer.size() == layers);
  for (const auto& [id, shown] : per_layer) {
    CAPTURE(id);
    CHECK(shown == std::vector<std::string>{"Pull complete"});
  }
  CHECK(screen.find("Digest: sha256:") != std::string::npos);
  CHECK(screen.find("Status: Downloaded newer image for " + image) != std::string::npos);
  CHECK(screen.find("exit=0") != std::string::npos);
}

TEST_CASE("cli: an unreadable Docker config file is a warning, and public images still pull") {
  const auto host = env("IMAGEPULL_E2E_DOCKER_HOST");
  const auto image = env("IMAGEPULL_E2E_REGISTRY") + "/other:1";
  const auto config_dir = env("IMAGEPULL_E2E_DIR") + "/broken-config";
  std::filesystem::create_directories(config_dir);
  std::ofstream(config_dir + "/config.json") << "{\"auths\": not json";
  remove_image(host, image);
  REQUIRE(setenv("DOCKER_CONFIG", config_dir.c_str(), 1) == 0);
  const auto r = run_cli({"--host", host, image});
  unsetenv("DOCKER_CONFIG");
  CHECK(r.exit_code == 0);
  CHECK(r.err.starts_with("imagepull: warning: "));
  CHECK(r.err.find("pulling without registry credentials") != std::string::npos);
  CHECK(present(host, image));
}
