// http::server: HTTPS (ALPN h2 or http/1.1) and plain (h2c by preface, else HTTP/1.1) serving
// of a router, as tasks on the reactor.
//
// Limits: header bytes (431), body bytes (413, 1 MiB by default), request bodies buffered per
// connection (413) and in all (503, an eighth per client), concurrent streams per connection, an
// idle deadline, a deadline for a whole request to arrive (HTTP/1.1 and each HTTP/2 stream: slow
// clients are cut off), a deadline for a response to make progress (a client that stops reading),
// and connections: at most max_connections_per_client per client (net::client_key) and
// max_connections in all — past that, a connection doing nothing (no request handed to a handler,
// or a TLS handshake that has not finished) is closed to make room, the oldest of the client
// holding most, so that a flood of idle or half-sent connections can keep nobody out. HTTP/2
// carries nghttp2's rapid-reset and CONTINUATION-flood limits where Debian's nghttp2 has them.
// shutdown() is graceful: stop accepting, GOAWAY / close idle connections, let requests in progress
// finish, and cut what is left after the drain deadline. One access log line per request. Lifetime:
// serve() must have returned before the server is destroyed.
#pragma once

#include <brood/http/router.hpp>
#include <brood/net/listener.hpp>
#include <brood/rt/cancel.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/tls/tls_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <string_view>
#include <unordered_map>

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
  std::size_t max_connection_body_bytes = 4 << 20;  // request bodies buffered at once, per connection
  std::size_t max_buffered_body_bytes = 64 << 20;   // over all connections (a client: an eighth)
  std::uint32_t max_concurrent_streams = 100;
  std::size_t max_connections = 4096;
  /// Generous: the nodes of a site behind one NAT share a client (each holds one connection).
  std::size_t max_connections_per_client = 256;
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
  std::uint64_t refused_per_client = 0;  // over max_connections_per_client: closed at once
  std::uint64_t evicted = 0;             // idle connections closed to make room
  std::uint64_t refused_full = 0;        // max_connections busy: closed at once
  std::uint64_t stream_timeouts = 0;     // HTTP/2 streams reset: request or response stalled
  std::uint64_t body_budget_refused = 0; // requests refused 503: max_buffered_body_bytes in use
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
  std::size_t open_connections() const noexcept { return _slots.size(); }

  struct connection_base;  // internal: one live connection, told to drain on shutdown

  /// Internal: runs the router for one request (404/405 and handler exceptions → JSON errors).
  rt::task<response> dispatch(const request& req);
  void log(const access_entry& e);
  void attach(connection_base* c) noexcept;
  void detach(connection_base* c) noexcept;
  server_stats& mutable_stats() noexcept { return _stats; }
  /// Internal: takes `n` bytes of the request-body budget all connections share for `client`
  /// (false, and counted, when it would go past max_buffered_body_bytes, or past an eighth of
  /// it for one client); release_body gives them back.
  bool reserve_body(const std::string& client, std::size_t n);
  void release_body(const std::string& client, std::size_t n) noexcept;

 private:
  /// One accepted connection, from accept to close: whom it counts against, and how to close
  /// it to make room.
  struct slot {
    std::string client;
    int fd = -1;
    rt::clock::time_point accepted;
    connection_base* conn = nullptr;  // once its protocol loop runs
    bool evicted = false;             // told to close: not chosen again
  };
  /// Room for a connection from `client`: false if it must be refused.
  bool make_room(const std::string& client);
  rt::task<void> connection(net::stream s, tls::server_credentials* creds, std::list<slot>::iterator at);
  router _router;
  server_options _opts;
  server_stats _stats;
  rt::cancel_source _accepting;
  connection_base* _live = nullptr;  // intrusive list of open connections
  std::list<slot> _slots;            // every accepted connection, oldest first
  std::unordered_map<std::string, std::size_t> _per_client;
  std::size_t _buffered_bodies = 0;
  std::unordered_map<std::string, std::size_t> _buffered_per_client;
  bool _draining = false;
};

}  // namespace brood::http
