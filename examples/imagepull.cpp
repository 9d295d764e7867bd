// imagepull: make images present on a Docker-API daemon; exit 0 only when all of them are.
#include <imagepull/docker/connect.hpp>
#include <imagepull/pull.hpp>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace ip = imagepull;
using namespace std::chrono_literals;

namespace {

constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

constexpr std::string_view usage_text = R"(usage: imagepull [options] IMAGE...

Makes each IMAGE present on the daemon, pulling the ones that are missing.
Exits 0 when all are present, 1 when any failed, 2 on a usage error, 130 when interrupted
(143 on SIGTERM); a second Ctrl-C ends it at once.

options:
  --host URL           daemon (unix://PATH or tcp://HOST:PORT); default: $DOCKER_HOST,
                       else unix:///var/run/docker.sock
  --platform OS/ARCH   pull for this platform, e.g. linux/arm64/v8
  --policy POLICY      if-not-present (default), always or never
  --quiet              no progress; only errors
  --json               one JSON event per line on stdout (progress, then a result per image)
  --timeout SECONDS    give up on an image after this long
  --jobs N             pull up to N images at once (default 1)
  --help               this text
  --version            the version
)";

struct cli {
  std::string host;
  std::string platform;
  ip::pull_policy policy = ip::pull_policy::if_not_present;
  bool quiet = false;
  bool json = false;
  std::optional<std::chrono::seconds> timeout;
  unsigned jobs = 1;
  std::vector<std::string> images;
};

std::optional<unsigned long> parse_number(std::string_view text) {
  unsigned long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The parsed command line, or the usage error to print.
ip::expected<cli, std::string> parse_cli(int argc, char** argv) {
  cli out;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&]() -> std::optional<std::string_view> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string_view(argv[++i]);
    };
    if (arg == "--") {
      for (++i; i < argc; ++i) out.images.emplace_back(argv[i]);
    } else if (arg == "--quiet" || arg == "-q") {
      out.quiet = true;
    } else if (arg == "--json") {
      out.json = true;
    } else if (arg == "--host" || arg == "--platform" || arg == "--policy" || arg == "--timeout" || arg == "--jobs") {
      const auto v = value();
      if (!v) return ip::unexpected(fmt::format("{} needs a value", arg));
      if (arg == "--host") {
        out.host = *v;
      } else if (arg == "--platform") {
        out.platform = *v;
      } else if (arg == "--policy") {
        if (*v == "if-not-present") out.policy = ip::pull_policy::if_not_present;
        else if (*v == "always") out.policy = ip::pull_policy::always;
        else if (*v == "never") out.policy = ip::pull_policy::never;
        else return ip::unexpected(fmt::format("--policy must be if-not-present, always or never, not \"{}\"", *v));
      } else if (arg == "--timeout") {
        const auto n = parse_number(*v);
        if (!n || *n == 0) return ip::unexpected(fmt::format("--timeout needs a positive number of seconds, not \"{}\"", *v));
        out.timeout = std::chrono::seconds(*n);
      } else {
        const auto n = parse_number(*v);
        if (!n || *n == 0 || *n > 64) return ip::unexpected(fmt::format("--jobs needs a number from 1 to 64, not \"{}\"", *v));
        out.jobs = static_cast<unsigned>(*n);
      }
    } else if (arg.starts_with("-") && arg.size() > 1) {
      return ip::unexpected(fmt::format("unknown option {}", arg));
    } else {
      out.images.emplace_back(arg);
    }
  }
  if (out.images.empty()) return ip::unexpected(std::string("no image given"));
  return out;
}

// Serialises everything written to stdout and stderr by the workers.
class console {
public:
  explicit console(bool json) : json_(json) {}

  void line(std::FILE* stream, std::string_view text) {
    const std::scoped_lock lock(mutex_);
    std::fwrite(text.data(), 1, text.size(), stream);
    std::fflush(stream);
  }
  // Image names and messages come from the command line and the daemon: bytes that are not
  // UTF-8 are replaced rather than allowed to stop the output.
  void event(const nlohmann::json& e) {
    line(stdout, e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }
  bool json() const noexcept { return json_; }

private:
  std::mutex mutex_;
  bool json_;
};

// Progress for one image: JSON events; or Docker's own display, in the mode Docker would pick
// for stdout, when it has the screen to itself; or Docker's plain lines prefixed by the image
// when several pulls share the screen.
class cli_progress {
public:
  cli_progress(console& out, std::string image, bool shared_screen)
      : out_(&out),
        image_(std::move(image)),
        shared_(shared_screen),
        display_(shared_screen ? ip::progress::plain(buffer_) : ip::progress::for_fd(std::cout, STDOUT_FILENO)) {}
  cli_progress(const cli_progress&) = delete;
  cli_progress& operator=(const cli_progress&) = delete;

  void on_message(const ip::json_message& m) {
    if (out_->json()) return out_->event(json_event(m));
    display_.on_message(m);
    if (!shared_ || buffer_.view().empty()) return;
    out_->line(stdout, image_ + ": " + buffer_.str());
    buffer_.str({});
  }

private:
  nlohmann::json json_event(const ip::json_message& m) const {
    nlohmann::json e{{"event", "progress"}, {"image", image_}};
    if (!m.id.empty()) e["id"] = m.id;
    if (!m.status.empty()) e["status"] = m.status;
    if (m.progress_detail) {
      e["current"] = m.progress_detail->current;
      e["total"] = m.progress_detail->total;
    }
    if (m.aux) e["aux"] = nlohmann::json::parse(*m.aux, nullptr, false);
    return e;
  }

  console* out_;
  std::string image_;
  bool shared_;
  std::ostringstream buffer_;  // before display_, which writes into it
  ip::progress::display display_;
};

struct outcome {
  std::string image;
  ip::expected<ip::pull_result, ip::error> result;
};

ip::expected<ip::pull_result, ip::error> pull_one(const cli& args, const ip::docker::endpoint& endpoint,
                                                   const ip::docker::credential_store& credentials,
                                                   const std::string& image, console& out, std::stop_token stop) {
  auto client = ip::docker::connect(endpoint, {.credentials = credentials});
  if (!client) return ip::unexpected(ip::wrap(client.error(), "cannot use the daemon at {}", endpoint.host));
  // A timeout is a stop that says why: the result must read deadline_exceeded, not canceled.
  std::stop_source timed;
  std::stop_callback forward(stop, [&timed] { timed.request_stop(); });
  std::atomic<bool> timed_out = false;
  std::jthread timer;
  if (args.timeout)
    timer = std::jthread([&](std::stop_token done) {
      std::mutex m;
      std::condition_variable_any cv;
      std::unique_lock lock(m);
      cv.wait_for(lock, done, *args.timeout, [] { return false; });
      if (!done.stop_requested()) {
        timed_out = true;
        timed.request_stop();
      }
    });
  ip::pull_image_options options{.policy = args.policy};
  options.request.platform = args.platform;
  options.request.stop = timed.get_token();
  auto result = args.quiet && !args.json
                    ? ip::pull_image(*client, image, options)
                    : ip::pull_image(*client, image, options, cli_progress(out, image, args.jobs > 1));
  if (timer.joinable()) {
    timer.request_stop();
    timer.join();  // before timed_out is read
  }
  if (!result && timed_out)
    return ip::unexpected(ip::wrap(result.error(), ip::to_error_code(ip::errc::deadline_exceeded),
                                   "timed out after {}s", args.timeout->count()));
  return result;
}

void report(console& out, const outcome& o, bool quiet) {
  if (o.result) {
    const auto& r = *o.result;
    if (quiet && !out.json()) return;
    if (out.json())
      out.event({{"event", "result"}, {"image", o.image}, {"ok", true}, {"pulled", r.pulled}, {"reference", r.ref.to_string()},
                 {"id", r.image.id}});
    else
      out.line(stdout, fmt::format("{}: {} {}\n", o.image, r.pulled ? "pulled" : "present", r.image.id));
    return;
  }
  const auto& e = o.result.error();
  out.line(stderr, fmt::format("imagepull: {}\n", e));
  if (out.json())
    out.event({{"event", "result"}, {"image", o.image}, {"ok", false}, {"category", ip::to_string(ip::resolve(e))},
               {"error", e.what()}, {"chain", nlohmann::json(e)}});
}

// Ctrl-C and SIGTERM are taken by a thread of their own (signals are blocked everywhere else),
// so cancelling is an ordinary stop_source request rather than work in a signal handler.
class interrupt_watch {
public:
  interrupt_watch() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    sigaddset(&signals_, SIGUSR1);  // our own wake-up at exit
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
    thread_ = std::thread([this] {
      for (int received = 0; sigwait(&signals_, &received) == 0;) {
        if (received == SIGUSR1) {
          if (done_) return;
          continue;
        }
        if (signal_ != 0) std::_Exit(128 + received);  // asked twice: stop waiting for a clean end
        signal_ = received;
        stop_.request_stop();
      }
    });
  }
  ~interrupt_watch() {
    done_ = true;
    pthread_kill(thread_.native_handle(), SIGUSR1);
    thread_.join();
  }
  std::stop_token token() const { return stop_.get_token(); }
  /// 0, or the exit code for the signal that interrupted: 130 for SIGINT, 143 for SIGTERM.
  int exit_code() const { return signal_ != 0 ? 128 + signal_ : 0; }

private:
  sigset_t signals_{};
  std::stop_source stop_;
  std::atomic<int> signal_ = 0;
  std::atomic<bool> done_ = false;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == "--help" || arg == "-h") return fmt::print("{}", usage_text), 0;
    if (arg == "--version") return fmt::print("imagepull {}\n", IMAGEPULL_VERSION_STRING), 0;
  }
  auto args = parse_cli(argc, argv);
  if (!args) {
    fmt::print(stderr, "imagepull: {}\n{}", args.error(), usage_text);
    return exit_usage;
  }
  auto endpoint = args->host.empty() ? ip::docker::endpoint_from_environment()
                                     : ip::docker::parse_endpoint(args->host, &std::getenv);
  if (!endpoint) {
    fmt::print(stderr, "imagepull: {}\n", endpoint.error());
    return exit_usage;
  }

  // The same image named twice (in any spelling) is pulled once; invalid ones fail on their own.
  std::vector<outcome> outcomes;
  std::vector<std::string> seen;
  for (const auto& image : args->images) {
    const auto ref = ip::reference::parse(image);
    const auto key = ref ? ref->to_string() : image;
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    outcomes.push_back({image, ip::unexpected(ip::error(ip::errc::aborted, "not attempted"))});
  }

  // Like the Docker CLI, a config file that cannot be read is a warning: public images still pull.
  auto credentials = ip::docker::credential_store::load_default();
  if (!credentials) {
    fmt::print(stderr, "imagepull: warning: {}; pulling without registry credentials\n", credentials.error());
    credentials = ip::docker::credential_store{};
  }

  console out(args->json);
  interrupt_watch interrupt;
  std::atomic<std::size_t> next = 0;
  {
    std::vector<std::jthread> workers;
    for (unsigned w = 0; w < std::min<std::size_t>(args->jobs, outcomes.size()); ++w)
      workers.emplace_back([&] {
        for (std::size_t i; (i = next++) < outcomes.size();) {
          auto& o = outcomes[i];
          o.result = pull_one(*args, *endpoint, *credentials, o.image, out, interrupt.token());
          report(out, o, args->quiet);
        }
      });
  }
  if (const int code = interrupt.exit_code(); code != 0) return code;
  for (const auto& o : outcomes)
    if (!o.result) return exit_failed;
  return 0;
}
