// h2_connection (private): one client HTTP/2 session over a transport, with its reader and
// writer tasks. Owned by h2_client through a shared_ptr (requests in flight keep it alive).
#pragma once

#include <brood/http/h2_client.hpp>
#include <brood/http/transport.hpp>
#include <brood/rt/wait_slot.hpp>

#include <cstdint>
#include <unordered_map>
#include <vector>

struct nghttp2_session;

namespace brood::http::detail {

struct h2_stream;
/// Waits (until o.deadline) for the next thing to happen to a streamed request: headers, data,
/// its end.
rt::task<result<void>> wait_for_news(h2_stream* st, io_options o);
/// Waits until a streamed request's final response headers arrived (or it failed).
rt::task<result<void>> wait_for_headers(h2_stream* st, io_options o);

class h2_connection : public std::enable_shared_from_this<h2_connection> {
 public:
  h2_connection(std::unique_ptr<transport> t, std::string authority, std::string scheme, std::size_t max_response,
                client_stats* stats);
  ~h2_connection();

  /// Starts the session (client preface, SETTINGS); the reader and writer run in `scope`.
  result<void> start(rt::task_scope& scope);
  /// False once GOAWAY arrived or the connection failed: new requests go elsewhere.
  bool usable() const noexcept { return !_closed && !_goaway; }
  rt::task<result<response>> request(request req, io_options o, bool* safe_to_retry);
  /// Submits `req` as a streamed request: the stream, owned by this connection, and its id.
  result<std::pair<std::int32_t, h2_stream*>> submit(http::request req, bool streamed);
  /// Gives a stream up: RST_STREAM if still open, freed when it closes (or now if it has).
  void abandon(std::int32_t id, h2_stream* st) noexcept;
  /// Sends GOAWAY and ends both tasks.
  void close() noexcept;
  /// Gives up on the connection at once (its path is gone): every stream fails with `ec` and
  /// the transport is shut down, so both tasks end without waiting for the peer.
  void abort(std::error_code ec) noexcept;

 private:
  friend struct callbacks;
  static rt::task<void> reader_task(std::shared_ptr<h2_connection> self);
  static rt::task<void> writer_task(std::shared_ptr<h2_connection> self);
  rt::task<void> reader();
  rt::task<void> writer();
  void fail_all(std::error_code ec) noexcept;

  std::unique_ptr<transport> _t;
  std::string _authority, _scheme;
  std::size_t _max_response;
  client_stats* _stats;
  nghttp2_session* _session = nullptr;
  std::unordered_map<std::int32_t, h2_stream*> _streams;  // owned; freed when the stream is over
  rt::wait_slot _want_write;
  bool _closed = false;
  bool _goaway = false;
  std::int32_t _goaway_last_stream = 0x7fffffff;
  std::error_code _error;
};

}  // namespace brood::http::detail
