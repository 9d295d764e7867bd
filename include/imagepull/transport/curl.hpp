/// @file transport/curl.hpp
/// @brief An HttpTransport over libcurl: Unix sockets or TCP, TLS, timeouts, cancellation.
/// The only header of imagepull that needs linking (libcurl).
#pragma once

#include "imagepull/config.hpp"
#include "imagepull/error.hpp"
#include "imagepull/transport/http.hpp"

#include <charconv>
#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <curl/curl.h>

namespace imagepull::transport {

/// @brief libcurl's result codes as errors: could not connect is unavailable, a timeout is
/// deadline_exceeded, a transfer stopped by request is canceled.
class curl_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "curl"; }
  std::string message(int code) const override { return curl_easy_strerror(static_cast<CURLcode>(code)); }
  std::error_condition default_error_condition(int code) const noexcept override {
    return make_error_condition(meaning(static_cast<CURLcode>(code)));
  }

private:
  static errc meaning(CURLcode code) noexcept {
    switch (code) {
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
      case CURLE_GOT_NOTHING:
      case CURLE_SSL_CONNECT_ERROR: return errc::unavailable;
      case CURLE_OPERATION_TIMEDOUT: return errc::deadline_exceeded;
      case CURLE_ABORTED_BY_CALLBACK: return errc::canceled;
      case CURLE_PARTIAL_FILE: return errc::data_loss;
      case CURLE_UNSUPPORTED_PROTOCOL: return errc::not_implemented;
      case CURLE_URL_MALFORMAT:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CACERT_BADFILE: return errc::invalid_argument;
      case CURLE_PEER_FAILED_VERIFICATION: return errc::permission_denied;
      case CURLE_OUT_OF_MEMORY: return errc::resource_exhausted;
      default: return errc::unknown;
    }
  }
};

/// @brief The singleton category of libcurl result codes.
inline const std::error_category& curl_category() noexcept {
  static const curl_category_impl instance;
  return instance;
}

/// @brief Where and how curl_transport connects.
struct curl_options {
  std::string unix_socket{};                   ///< when set, every request goes through this socket
  std::string base_url = "http://localhost";   ///< scheme://host[:port] (the host is nominal on a socket)
  std::string ca_file{};                       ///< TLS: CA bundle to verify the daemon with
  std::string cert_file{};                     ///< TLS: client certificate
  std::string key_file{};                      ///< TLS: client key
  bool verify_peer = true;                     ///< TLS: verify the daemon's certificate and name
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::seconds idle_timeout{300};      ///< give up when nothing arrives for this long (a stalled pull)
  std::string user_agent = "imagepull/" IMAGEPULL_VERSION_STRING;
};

/// @brief Sends requests over one libcurl handle, so its connection is reused between calls.
///
/// One request at a time: a curl_transport must not be used by two threads at once (make one
/// per thread; they are cheap). Cancelling through request::stop works from any thread.
class curl_transport {
public:
  /// @brief A transport, or an error when libcurl cannot be initialised.
  static expected<curl_transport, error> create(curl_options options) {
    static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);  // once, thread-safe
    if (global != CURLE_OK) return unexpected(error({global, curl_category()}, "cannot initialise libcurl"));
    CURL* handle = curl_easy_init();
    if (!handle) return unexpected(error(errc::resource_exhausted, "cannot create a libcurl handle"));
    return curl_transport(handle, std::move(options));
  }

  /// @brief The options this transport was made with.
  const curl_options& options() const noexcept { return options_; }

  /// @brief How many connections this transport has opened so far (1 while it reuses one).
  std::size_t connections_opened() const noexcept { return connections_opened_; }

  /// @brief Sends req and hands the body to sink as it arrives; returns the response head.
  expected<response_head, error> send(const request& req, const body_sink& sink) {
    transfer state{req, sink};
    CURL* h = handle_.get();
    curl_easy_reset(h);  // keeps the connection cache: the next request reuses the connection
    const std::string url = options_.base_url + req.target;
    curl_slist* headers = nullptr;
    for (const auto& [name, value] : req.headers) headers = curl_slist_append(headers, (name + ": " + value).c_str());
    const std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers, &curl_slist_free_all);

    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    if (!options_.unix_socket.empty()) curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, options_.unix_socket.c_str());
    if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
    if (!options_.cert_file.empty()) curl_easy_setopt(h, CURLOPT_SSLCERT, options_.cert_file.c_str());
    if (!options_.key_file.empty()) curl_easy_setopt(h, CURLOPT_SSLKEY, options_.key_file.c_str());
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.verify_peer ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.verify_peer ? 2L : 0L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for name resolution timeouts
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.idle_timeout.count()));
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, state.message);
    if (req.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (req.method == "POST") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    } else if (req.method != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &transfer::on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &state);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &transfer::on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &state);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &transfer::on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &state);

    const CURLcode code = curl_easy_perform(h);
    long opened = 0;
    if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &opened) == CURLE_OK) connections_opened_ += static_cast<std::size_t>(opened);
    long os_error = 0;
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_error);
    curl_easy_reset(h);  // the handle must not keep pointers into this call's state
    // Exceptions must not unwind through libcurl's C frames: the callbacks park them here.
    if (state.exception) std::rethrow_exception(state.exception);
    if (code != CURLE_OK) {
      std::string detail = state.message[0] ? state.message : curl_easy_strerror(code);
      // On a socket, curl's own words name a nominal "localhost port 80": say what really failed.
      if (code == CURLE_COULDNT_CONNECT && !options_.unix_socket.empty())
        detail = fmt::format("cannot connect to the socket {}", options_.unix_socket);
      if (code == CURLE_ABORTED_BY_CALLBACK) detail = "canceled";
      if (os_error != 0) detail += fmt::format(" ({})", std::generic_category().message(static_cast<int>(os_error)));
      return unexpected(error({code, curl_category()}, fmt::format("{} {}: {}", req.method, req.target, detail)));
    }
    return std::move(state.head);
  }

private:
  struct handle_deleter {
    void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
  };

  struct transfer {
    const request& req;
    const body_sink& sink;
    response_head head{};
    std::exception_ptr exception{};
    char message[CURL_ERROR_SIZE] = {};

    static std::size_t on_header(char* data, std::size_t, std::size_t size, void* user) {
      auto& self = *static_cast<transfer*>(user);
      std::string_view line(data, size);
      while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
      if (line.starts_with("HTTP/")) {  // a new response begins (after a 1xx, or a redirect)
        self.head = {};
        const auto space = line.find(' ');
        if (space != std::string_view::npos) {
          const auto code = line.substr(space + 1, 3);
          std::from_chars(code.data(), code.data() + code.size(), self.head.status);
        }
      } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
        auto value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        try {
          self.head.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
        } catch (...) {
          self.exception = std::current_exception();
          return 0;
        }
      }
      return size;
    }

    static std::size_t on_body(char* data, std::size_t, std::size_t size, void* user) {
      auto& self = *static_cast<transfer*>(user);
      try {
        self.sink(self.head, std::string_view(data, size));
      } catch (...) {
        self.exception = std::current_exception();
        return 0;
      }
      return size;
    }

    // Called about once a second even when no data moves, so a stop is seen promptly.
    static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
      return static_cast<transfer*>(user)->req.stop.stop_requested() ? 1 : 0;
    }
  };

  curl_transport(CURL* handle, curl_options options) : handle_(handle), options_(std::move(options)) {}

  std::unique_ptr<CURL, handle_deleter> handle_;
  curl_options options_;
  std::size_t connections_opened_ = 0;
};

static_assert(HttpTransport<curl_transport>);

}  // namespace imagepull::transport
