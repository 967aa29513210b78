// http::server: HTTPS (ALPN h2 or http/1.1) and plain (h2c by preface, else HTTP/1.1) serving
// of a router, as tasks on the reactor.
//
// Limits: header bytes (431), body bytes (413, 1 MiB by default), concurrent streams per
// connection, an idle deadline, and a deadline for a whole request to arrive (slow clients are
// cut off). HTTP/2 carries nghttp2's rapid-reset and CONTINUATION-flood limits where Debian's
// nghttp2 has them. shutdown() is graceful: stop accepting, GOAWAY / close idle connections,
// let requests in progress finish, and cut what is left after the drain deadline. One access
// log line per request. Lifetime: serve() must have returned before the server is destroyed.
#pragma once

#include <brood/http/router.hpp>
#include <brood/net/listener.hpp>
#include <brood/rt/cancel.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/tls/tls_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

namespace brood::http {

struct access_entry {
  std::string_view remote;
  std::string_view protocol;  // "h2", "h2c", "http/1.1"
  std::string_view method;
  std::string_view path;
  int status;
  std::size_t bytes;  // response body
  double ms;
};

struct server_options {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1 << 20;
  std::uint32_t max_concurrent_streams = 100;
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds request_timeout{10'000};  // from a request's first byte to its last
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds drain_timeout{5'000};
  /// Called once per request; empty: one line on stderr.
  std::function<void(const access_entry&)> access_log;
};

struct server_stats {
  std::uint64_t connections = 0;
  std::uint64_t requests = 0;
  std::uint64_t handshake_failures = 0;
  std::uint64_t protocol_errors = 0;
};

class server {
 public:
  explicit server(router r, server_options o = {});
  server(const server&) = delete;
  ~server();

  /// Accepts on `l` until shutdown(); TLS with `creds` (re-read per connection, so a reloaded
  /// certificate reaches new connections), plain without.
  rt::task<void> serve(net::listener& l, tls::server_credentials* creds = nullptr);
  /// Graceful stop: serve() closes its listener (new connections are refused), connections
  /// drain, and serve() returns once they have (or the drain deadline cut them).
  void shutdown() noexcept;

  const server_stats& stats() const noexcept { return _stats; }
  const server_options& options() const noexcept { return _opts; }

  struct connection_base;  // internal: one live connection, told to drain on shutdown

  /// Internal: runs the router for one request (404/405 and handler exceptions → JSON errors).
  rt::task<response> dispatch(const request& req);
  void log(const access_entry& e);
  void attach(connection_base* c) noexcept;
  void detach(connection_base* c) noexcept;
  server_stats& mutable_stats() noexcept { return _stats; }

 private:
  rt::task<void> connection(net::stream s, tls::server_credentials* creds);
  router _router;
  server_options _opts;
  server_stats _stats;
  rt::cancel_source _accepting;
  connection_base* _live = nullptr;  // intrusive list of open connections
  bool _draining = false;
};

}  // namespace brood::http
