/// @file docker/credential_helper.hpp
/// @brief Running a docker-credential-<name> helper: `get`, the server URL on stdin, the
/// credentials as JSON on stdout; bounded in time and output, no shell, no leaked fd or zombie.
#pragma once

#include "imagepull/config.hpp"
#include "imagepull/error.hpp"
#include "imagepull/detail/json_fields.hpp"
#include "imagepull/detail/quote.hpp"
#include "imagepull/puller.hpp"       // registry_auth

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

extern char** environ;  // POSIX: the environment a helper inherits

namespace imagepull::docker {

/// @brief How long a credential helper may take before it is killed.
inline constexpr std::chrono::milliseconds default_helper_timeout{30'000};
/// @brief The most a credential helper may write (stdout and stderr together).
inline constexpr std::size_t max_helper_output = 1024 * 1024;

namespace detail {

using imagepull::detail::ordered_json;
using imagepull::detail::quote;

// The protocol's fixed answer for "no credentials for this server" (docker-credential-helpers).
inline constexpr std::string_view helper_not_found_answer = "credentials not found in native keychain";
// The helper's Username that means "Secret is an identity token".
inline constexpr std::string_view helper_token_username = "<token>";

inline std::string_view trim(std::string_view s) noexcept {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

/// @brief A root error for an errno value, with the OS's text for it.
inline error os_error(int code, std::string_view what) {
  return make_error(std::error_code(code, std::generic_category()), "{}: {}", what,
                    std::generic_category().message(code));
}

/// @brief Owns a file descriptor.
class unique_fd {
public:
  unique_fd() = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~unique_fd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  // close() is not retried on EINTR: Linux releases the descriptor either way.
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_ = -1;
};

struct pipe_ends {
  unique_fd read;
  unique_fd write;
};

/// @brief A close-on-exec pipe whose ends are never 0, 1 or 2: in a process started with a
/// standard descriptor closed they could be, and the child's dup2 calls would then clobber each other.
inline expected<pipe_ends, error> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return unexpected<error>(os_error(errno, "cannot create a pipe"));
  pipe_ends ends{unique_fd{fds[0]}, unique_fd{fds[1]}};
  for (auto* end : {&ends.read, &ends.write}) {
    if (end->get() > STDERR_FILENO) continue;
    const int high = ::fcntl(end->get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    if (high < 0) return unexpected<error>(os_error(errno, "cannot create a pipe"));
    *end = unique_fd{high};
  }
  return ends;
}

/// @brief Blocks SIGPIPE for one write to a helper that may have exited already (its default
/// action would kill this process); a SIGPIPE that write raised is taken back before the
/// thread's mask is restored. errno is preserved for the caller.
class sigpipe_blocker {
public:
  sigpipe_blocker() noexcept {
    ::sigemptyset(&pipe_);
    ::sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    ::sigemptyset(&pending);
    ::sigpending(&pending);
    was_pending_ = ::sigismember(&pending, SIGPIPE) == 1;
    ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  sigpipe_blocker(const sigpipe_blocker&) = delete;
  sigpipe_blocker& operator=(const sigpipe_blocker&) = delete;
  ~sigpipe_blocker() {
    const int saved = errno;
    sigset_t pending;
    ::sigemptyset(&pending);
    ::sigpending(&pending);
    if (!was_pending_ && ::sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{};
      while (::sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {}
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    errno = saved;
  }

private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

/// @brief A started child process; whatever path leaves its scope, it is killed if still running
/// and reaped, so no zombie is left behind.
class child_process {
public:
  explicit child_process(pid_t pid) noexcept : pid_(pid) {}
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);  // still ours until reaped, so the pid cannot have been reused
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
  }

  /// @brief The wait status once the child has ended, std::nullopt while it runs.
  expected<std::optional<int>, error> try_wait() {
    int status = 0;
    pid_t reaped = 0;
    do reaped = ::waitpid(pid_, &status, WNOHANG);
    while (reaped < 0 && errno == EINTR);
    // ECHILD here means someone else reaped it (SIGCHLD set to SIG_IGN, a waitpid(-1) elsewhere).
    if (reaped < 0) {
      const int code = errno;
      pid_ = -1;
      return unexpected<error>(os_error(code, "cannot learn how the credential helper ended"));
    }
    if (reaped == 0) return std::optional<int>{};
    pid_ = -1;
    return std::optional<int>{status};
  }

private:
  pid_t pid_;
};

/// @brief Owns one of posix_spawn's C objects; status is init's result.
template <class T, int (*init)(T*), int (*destroy)(T*)>
struct spawn_object {
  T value;
  int status = init(&value);
  spawn_object() = default;
  spawn_object(const spawn_object&) = delete;
  spawn_object& operator=(const spawn_object&) = delete;
  ~spawn_object() {
    if (status == 0) destroy(&value);
  }
};
using spawn_file_actions =
    spawn_object<posix_spawn_file_actions_t, &::posix_spawn_file_actions_init, &::posix_spawn_file_actions_destroy>;
using spawn_attributes = spawn_object<posix_spawnattr_t, &::posix_spawnattr_init, &::posix_spawnattr_destroy>;

/// @brief What a helper wrote and how it ended.
struct helper_output {
  int status = 0;  ///< the wait status
  std::string out;
  std::string err;
};

inline int poll_timeout(std::chrono::steady_clock::duration left) noexcept {
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::clamp<decltype(ms)>(ms, 0, INT_MAX));
}

/// @brief Reads what is available from a non-blocking pipe; closes it at end of file.
inline expected<void, error> read_some(unique_fd& fd, std::string& into) {
  std::array<char, 16 * 1024> buffer;
  const auto n = ::read(fd.get(), buffer.data(), buffer.size());
  if (n > 0)
    into.append(buffer.data(), static_cast<std::size_t>(n));
  else if (n == 0)
    fd.reset();
  else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    return unexpected<error>(os_error(errno, "cannot read from the credential helper"));
  return {};
}

/// @brief Writes what the pipe takes; closes it once everything is written or the helper has
/// closed its end (a helper need not read its stdin).
inline expected<void, error> write_some(unique_fd& fd, std::string_view& rest) {
  ssize_t n = 0;
  {
    const sigpipe_blocker blocked;
    n = ::write(fd.get(), rest.data(), rest.size());
  }
  if (n >= 0)
    rest.remove_prefix(static_cast<std::size_t>(n));
  else if (errno == EPIPE)
    rest = {};
  else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    return unexpected<error>(os_error(errno, "cannot write to the credential helper"));
  if (rest.empty()) fd.reset();
  return {};
}

/// @brief Runs `program get` (found on PATH) with input on its stdin and collects its output;
/// it must finish within timeout and write at most max_output bytes, or it is killed, as it is
/// when stop is requested.
inline expected<helper_output, error> run_helper(const std::string& program, std::string_view input,
                                                 std::chrono::milliseconds timeout, std::size_t max_output,
                                                 const std::stop_token& stop = {}) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  // What ends the wait early, if anything: the deadline, or a stop request.
  const auto interrupted = [&]() -> std::optional<error> {
    if (stop.stop_requested())
      return make_error(to_error_code(errc::canceled), "credential helper {} stopped: canceled", quote(program));
    if (clock::now() >= deadline)
      return make_error(to_error_code(errc::deadline_exceeded), "credential helper {} did not finish within {} ms",
                        quote(program), timeout.count());
    return std::nullopt;
  };
  // Waits are cut into slices so that a stop request is seen promptly.
  const auto slice = [&] { return std::min<clock::duration>(deadline - clock::now(), std::chrono::milliseconds{100}); };

  auto in = make_pipe();
  if (!in) return unexpected<error>(in.error());
  auto out = make_pipe();
  if (!out) return unexpected<error>(out.error());
  auto err = make_pipe();
  if (!err) return unexpected<error>(err.error());

  spawn_file_actions actions;
  spawn_attributes attributes;
  int status = actions.status != 0 ? actions.status : attributes.status;
  // Only the three pipes reach the helper: our own ends are close-on-exec, and descriptors that
  // other code opened without that flag are closed where the C library can.
  for (const auto& [from, to] : {std::pair{in->read.get(), STDIN_FILENO}, std::pair{out->write.get(), STDOUT_FILENO},
                                 std::pair{err->write.get(), STDERR_FILENO}})
    if (status == 0) status = ::posix_spawn_file_actions_adddup2(&actions.value, from, to);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  if (status == 0) status = ::posix_spawn_file_actions_addclosefrom_np(&actions.value, STDERR_FILENO + 1);
#endif
  // The helper starts with no blocked signals and SIGPIPE at its default, whatever this process does.
  sigset_t no_signals;
  ::sigemptyset(&no_signals);
  sigset_t sigpipe_only;
  ::sigemptyset(&sigpipe_only);
  ::sigaddset(&sigpipe_only, SIGPIPE);
  if (status == 0) status = ::posix_spawnattr_setsigmask(&attributes.value, &no_signals);
  if (status == 0) status = ::posix_spawnattr_setsigdefault(&attributes.value, &sigpipe_only);
  if (status == 0)
    status = ::posix_spawnattr_setflags(&attributes.value, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  if (status != 0) return unexpected<error>(os_error(status, "cannot prepare to run a credential helper"));

  std::string arg0 = program;
  std::string arg1 = "get";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = 0;
  status = ::posix_spawnp(&pid, program.c_str(), &actions.value, &attributes.value, argv, environ);
  if (status == ENOENT)  // not installed: the setup is wrong, which is not a missing image
    return unexpected<error>(make_error(to_error_code(errc::failed_precondition),
                                        "credential helper {} is not on PATH", quote(program)));
  if (status != 0)
    return unexpected<error>(os_error(status, fmt::format("cannot run credential helper {}", quote(program))));
  child_process child{pid};
  in->read.reset();
  out->write.reset();
  err->write.reset();

  for (const auto* fd : {&in->write, &out->read, &err->read})
    if (::fcntl(fd->get(), F_SETFL, ::fcntl(fd->get(), F_GETFL) | O_NONBLOCK) != 0)
      return unexpected<error>(os_error(errno, "cannot set up the credential helper's pipes"));

  helper_output result;
  auto rest = input;
  if (rest.empty()) in->write.reset();
  while (in->write || out->read || err->read) {
    if (auto why = interrupted()) return unexpected<error>(std::move(*why));
    // poll ignores negative descriptors, so ends already closed drop out by themselves.
    std::array<pollfd, 3> fds{
        {{in->write.get(), POLLOUT, 0}, {out->read.get(), POLLIN, 0}, {err->read.get(), POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), poll_timeout(slice())) < 0) {
      if (errno == EINTR) continue;
      return unexpected<error>(os_error(errno, "cannot wait for the credential helper"));
    }
    if (fds[0].revents & (POLLERR | POLLHUP))
      in->write.reset();  // it closed its stdin unread
    else if (fds[0].revents & POLLOUT) {
      if (auto written = write_some(in->write, rest); !written) return unexpected<error>(written.error());
    }
    for (const auto& [index, fd, text] :
         {std::tuple{1, &out->read, &result.out}, std::tuple{2, &err->read, &result.err}})
      if (fds[static_cast<std::size_t>(index)].revents & (POLLIN | POLLHUP | POLLERR))
        if (auto got = read_some(*fd, *text); !got) return unexpected<error>(got.error());
    if (result.out.size() + result.err.size() > max_output)
      return unexpected<error>(make_error(to_error_code(errc::resource_exhausted),
                                          "credential helper {} wrote more than {} bytes", quote(program), max_output));
  }

  // Its outputs are closed: it is exiting, or it closed them and runs on; the deadline still holds.
  for (auto pause = std::chrono::milliseconds{1};; pause = std::min(pause * 2, std::chrono::milliseconds{50})) {
    auto ended = child.try_wait();
    if (!ended) return unexpected<error>(ended.error());
    if (*ended) {
      result.status = **ended;
      return result;
    }
    if (auto why = interrupted()) return unexpected<error>(std::move(*why));
    const auto nap = std::chrono::duration_cast<std::chrono::nanoseconds>(std::min<clock::duration>(pause, slice()));
    const timespec wait{static_cast<time_t>(nap.count() / 1'000'000'000),
                        static_cast<long>(nap.count() % 1'000'000'000)};
    ::nanosleep(&wait, nullptr);  // an interruption only makes the next look earlier
  }
}

inline error helper_failed(const std::string& program, const helper_output& output) {
  std::string how = WIFEXITED(output.status)     ? fmt::format("exited with status {}", WEXITSTATUS(output.status))
                    : WIFSIGNALED(output.status) ? fmt::format("was killed by signal {}", WTERMSIG(output.status))
                                                 : std::string{"ended abnormally"};
  // Helpers print error messages, shown escaped and cut short. Output with a '{' could be (or
  // follow) a JSON answer, which holds the secret: then none of it is shown.
  const auto out = trim(output.out);
  const auto err = trim(output.err);
  if (out.find('{') != std::string_view::npos || err.find('{') != std::string_view::npos) {
    how += fmt::format(" (its {} bytes of output are not shown: they may hold credentials)", out.size() + err.size());
  } else {
    if (!out.empty()) how += fmt::format(": {}", quote(out));
    if (!err.empty()) how += fmt::format(" (stderr: {})", quote(err));
  }
  return make_error(to_error_code(errc::unavailable), "credential helper {} {}", quote(program), how);
}

/// @brief The credentials in a helper's successful answer; std::nullopt when it holds none.
inline expected<std::optional<registry_auth>, error> parse_helper_answer(const std::string& program,
                                                                         std::string_view answer,
                                                                         const std::string& server) {
  const auto malformed = [&](std::string_view why) {
    return unexpected<error>(make_error(to_error_code(errc::data_loss),
                                        "credential helper {} gave an answer that is not valid ({} bytes): {}",
                                        quote(program), answer.size(), why));
  };
  const auto json = ordered_json::parse(answer, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return malformed("not a JSON object");
  std::string username;
  std::string secret;
  // Field names only, never values: the message cannot carry the secret.
  if (const auto problem =
          imagepull::detail::field_reader(json).each([&](std::string_view key, const ordered_json& value) {
            using imagepull::detail::field;
            return imagepull::detail::read_field(key, value, field("Username", username), field("Secret", secret));
          }))
    return malformed(*problem);
  if (username.empty() && secret.empty()) return std::optional<registry_auth>{};
  registry_auth auth;
  auth.server_address = server;
  if (username == helper_token_username) {
    auth.identity_token = std::move(secret);
  } else {
    auth.username = std::move(username);
    auth.password = std::move(secret);
  }
  return std::optional<registry_auth>{std::move(auth)};
}

/// @brief Asks the helper docker-credential-<name> for server's credentials.
inline expected<std::optional<registry_auth>, error> ask_helper(std::string_view name, const std::string& server,
                                                                std::chrono::milliseconds timeout,
                                                                const std::stop_token& stop) {
  const auto fail = [&server](error cause) {
    return unexpected<error>(wrap(std::move(cause), "failed to get credentials for {}", quote(server)));
  };
  // The name comes from the config file; with a '/' it would name a path, not a program on PATH.
  if (name.find_first_of(std::string_view{"/\0", 2}) != std::string_view::npos)
    return fail(make_error(to_error_code(errc::invalid_argument), "credential helper name {} is not a program name",
                           quote(name)));
  const std::string program = fmt::format("docker-credential-{}", name);
  auto output = run_helper(program, server, timeout, max_helper_output, stop);
  if (!output) return fail(output.error());
  if (WIFEXITED(output->status) && WEXITSTATUS(output->status) == 0) {
    auto answer = parse_helper_answer(program, output->out, server);
    if (!answer) return fail(answer.error());
    return answer;
  }
  if (WIFEXITED(output->status) && trim(output->out) == helper_not_found_answer) return std::optional<registry_auth>{};
  return fail(helper_failed(program, *output));
}

}  // namespace detail
}  // namespace imagepull::docker
