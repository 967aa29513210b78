// h2_client: connection reuse per authority, connect + TLS + ALPN check, one safe retry.
#include "http/h2_connection.hpp"

#include <brood/net/socket.hpp>
#include <brood/rt/timer.hpp>
#include <brood/tls/tls_stream.hpp>

#include <charconv>

namespace brood::http {

result<std::pair<std::string, std::uint16_t>> split_authority(std::string_view a) {
  std::string_view host, port;
  if (!a.empty() && a.front() == '[') {
    auto close = a.find(']');
    if (close == std::string_view::npos || close + 1 >= a.size() || a[close + 1] != ':') return std::errc::invalid_argument;
    host = a.substr(1, close - 1);
    port = a.substr(close + 2);
  } else {
    auto colon = a.rfind(':');
    if (colon == std::string_view::npos) return std::errc::invalid_argument;
    host = a.substr(0, colon);
    port = a.substr(colon + 1);
  }
  std::uint16_t p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (host.empty() || ec != std::errc() || end != port.data() + port.size() || p == 0) return std::errc::invalid_argument;
  return std::pair{std::string(host), p};
}

namespace {
rt::task<result<net::socket_address>> numeric_resolver(std::string host, std::uint16_t port) {
  if (host == "localhost") co_return net::socket_address::ipv4_loopback(port);
  auto a = net::socket_address::parse(host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port)
                                                                          : host + ":" + std::to_string(port));
  if (!a) co_return std::errc::address_not_available;  // names need the DNS layer's resolver
  co_return *a;
}

rt::clock::time_point earliest(std::optional<rt::clock::time_point> a, rt::clock::time_point b) {
  return a && *a < b ? *a : b;
}
}  // namespace

h2_client::h2_client(client_options o) : _opts(std::move(o)) {
  if (!_opts.resolve) _opts.resolve = &numeric_resolver;
}

h2_client::~h2_client() = default;

rt::task<result<std::shared_ptr<detail::h2_connection>>> h2_client::connection_for(const std::string& authority,
                                                                                   io_options o) {
  auto guard = co_await _connect_lock.lock();  // one connect per authority at a time, never two
  if (!guard) co_return guard.error();
  if (auto it = _conns.find(authority); it != _conns.end()) {
    if (it->second->usable()) co_return it->second;
    _conns.erase(it);
  }
  auto hp = split_authority(authority);
  if (!hp) co_return hp.error();
  auto addr = co_await _opts.resolve(hp->first, hp->second);
  if (!addr) co_return addr.error();
  io_options co{earliest(o.deadline, rt::clock::now() + _opts.connect_timeout)};
  auto s = co_await net::stream::connect(*addr, co);
  if (!s) co_return s.error();
  std::unique_ptr<transport> t;
  if (_opts.tls) {
    auto ts = co_await tls::stream::connect(std::move(*s), _opts.tls, hp->first, co);
    if (!ts) co_return ts.error();
    if (ts->alpn() != "h2") co_return std::errc::protocol_not_supported;  // the server did not agree to HTTP/2
    t = make_tls_transport(std::move(*ts));
  } else {
    t = make_plain_transport(std::move(*s), "h2c");
  }
  auto c = std::make_shared<detail::h2_connection>(std::move(t), authority, _opts.tls ? "https" : "http",
                                                   _opts.max_response_bytes, &_stats);
  if (auto r = c->start(_scope); !r) co_return r.error();
  ++_stats.connections_opened;
  _conns[authority] = c;
  co_return c;
}

rt::task<result<response>> h2_client::request(std::string authority, http::request req, io_options o) {
  ++_stats.requests;
  for (int attempt = 0;; ++attempt) {
    auto c = co_await connection_for(authority, o);
    if (!c) co_return c.error();
    bool safe_to_retry = false;
    // A named local, not a conditional inside co_await: GCC 12 mishandles such temporaries.
    http::request this_try = attempt == 0 ? req : std::move(req);
    auto r = co_await (*c)->request(std::move(this_try), o, &safe_to_retry);
    if (r || !safe_to_retry || attempt == 1) co_return r;
    ++_stats.retries;  // the server provably did not process it: once more, on a fresh connection
  }
}

rt::task<result<std::unique_ptr<response_stream>>> h2_client::open(std::string authority, http::request req,
                                                                   io_options o) {
  ++_stats.requests;
  auto c = co_await connection_for(authority, o);
  if (!c) co_return c.error();
  std::shared_ptr<detail::h2_connection> conn = *c;
  if (!conn->usable()) co_return std::make_error_code(std::errc::connection_reset);
  auto submitted = conn->submit(std::move(req), true);
  if (!submitted) co_return submitted.error();
  // From here the stream object frees the stream in every case (and resets it if still open).
  auto s = std::make_unique<response_stream>(conn, submitted->first, submitted->second);
  detail::h2_stream* st = submitted->second;
  auto headers = co_await detail::wait_for_headers(st, o);
  if (!headers) co_return headers.error();
  co_return s;
}

rt::task<void> h2_client::close() {
  for (auto& [a, c] : _conns) c->close();
  _conns.clear();
  co_await _scope.join();
}

void h2_client::reset() noexcept {
  for (auto& [a, c] : _conns) c->abort(std::make_error_code(std::errc::connection_aborted));
  _conns.clear();
}

void h2_client::reset(const std::string& authority) noexcept {
  if (auto it = _conns.find(authority); it != _conns.end()) {
    it->second->abort(std::make_error_code(std::errc::connection_aborted));
    _conns.erase(it);
  }
}

}  // namespace brood::http
