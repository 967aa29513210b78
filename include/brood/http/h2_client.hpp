// h2_client: HTTP/2 requests over TLS (ALPN h2) or h2c, one reused connection per authority.
//
// Each connection runs one reader and one writer task (nghttp2's memory API; callbacks only
// record state and wake tasks). Requests are multiplexed as concurrent streams, each with its
// own deadline and response-size cap. A connection that received GOAWAY or died is replaced
// on the next request, and a request the server provably did not process (refused stream, or
// above GOAWAY's last stream id) is retried once on the new connection. open() starts a request
// whose response body arrives over time (GET /watch) and hands it out as it comes.
// Lifetime: close() must be awaited before the client is destroyed (it joins the connection
// tasks); the reactor must outlive the client.
#pragma once

#include <brood/http/message.hpp>
#include <brood/net/socket_address.hpp>
#include <brood/rt/async_mutex.hpp>
#include <brood/rt/io_op.hpp>
#include <brood/rt/task.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/tls/tls_context.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace brood::http {

using rt::io_options;
using rt::result;

/// Turns a host name and port into an address. The default understands numeric addresses and
/// "localhost"; the DNS layer plugs c-ares in here.
using resolver_fn = std::function<rt::task<result<net::socket_address>>(std::string host, std::uint16_t port)>;

struct client_options {
  std::shared_ptr<tls::context> tls;  // null: h2c (prior knowledge), for tests and loopback
  std::size_t max_response_bytes = 16 << 20;
  std::chrono::milliseconds connect_timeout{5000};
  resolver_fn resolve;  // empty: numeric addresses and localhost only
};

struct client_stats {
  std::uint64_t connections_opened = 0;
  std::uint64_t requests = 0;
  std::uint64_t retries = 0;
  std::uint64_t goaways = 0;  // GOAWAY frames received
};

namespace detail {
class h2_connection;
struct h2_stream;
}

/// A response read as its body arrives (h2_client::open). Lifetime: destroying it resets the
/// stream if it is still open; the client must outlive it.
class response_stream {
 public:
  response_stream(std::shared_ptr<detail::h2_connection> c, std::int32_t id, detail::h2_stream* st) noexcept;
  response_stream(const response_stream&) = delete;
  ~response_stream();

  int status() const noexcept;
  const std::vector<header>& headers() const noexcept;
  /// The body bytes that arrived since the last read, waiting for some until `o.deadline`; empty
  /// once the body has ended. Errors: timed_out (nothing by the deadline: the stream stays open),
  /// message_size (more than max_response_bytes unread), connection_reset, protocol_error.
  rt::task<result<std::string>> read(io_options o = {});
  bool ended() const noexcept;

 private:
  std::shared_ptr<detail::h2_connection> _c;
  std::int32_t _id;
  detail::h2_stream* _st;
};

class h2_client {
 public:
  explicit h2_client(client_options o);
  h2_client(const h2_client&) = delete;
  ~h2_client();

  /// Sends `req` to `authority` ("host:port", "[v6]:port"); `o.deadline` bounds the whole
  /// exchange (connect and TLS included). Errors: timed_out, message_size (cap exceeded),
  /// connection_reset / protocol_error, or the connect error.
  rt::task<result<response>> request(std::string authority, request req, io_options o = {});
  /// Sends `req` and returns once the response headers arrived (`o.deadline` bounds that much);
  /// the body is then read from the stream. Not retried.
  rt::task<result<std::unique_ptr<response_stream>>> open(std::string authority, http::request req, io_options o = {});
  /// Closes every connection (GOAWAY) and waits for their tasks.
  rt::task<void> close();
  /// Drops every connection at once, without a word to the peers (the local address they used
  /// is gone, or they stopped answering); the next request connects afresh. Their streams fail
  /// with connection_aborted and their tasks end by themselves (close() still waits for them).
  void reset() noexcept;
  /// The same for the connection to `authority` alone.
  void reset(const std::string& authority) noexcept;
  const client_stats& stats() const noexcept { return _stats; }

 private:
  rt::task<result<std::shared_ptr<detail::h2_connection>>> connection_for(const std::string& authority, io_options o);
  client_options _opts;
  std::map<std::string, std::shared_ptr<detail::h2_connection>> _conns;
  rt::async_mutex _connect_lock;
  rt::task_scope _scope{rt::no_parent};
  client_stats _stats;
};

/// "host:port" → host and port ("[::1]:443" → "::1", 443).
result<std::pair<std::string, std::uint16_t>> split_authority(std::string_view authority);

}  // namespace brood::http
