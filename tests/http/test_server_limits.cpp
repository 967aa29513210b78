// What no client may do to http::server (the review's H5): hold an HTTP/2 stream open with a
// request that never ends, hold a response it never reads, buffer bodies on many streams at
// once, or take every connection — per client (net::client_key) or in all. Each case is a raw
// HTTP/2 or TCP client doing exactly that, and a well-behaved client served beside it.
#include "support/rt_test.hpp"

#include <brood/http/h2_client.hpp>
#include <brood/http/server.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>

#include <nghttp2/nghttp2.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <vector>

using namespace brood;
using namespace brood::rt;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(server_limits)

namespace {

rt::task<http::response> hello(const http::request&, const http::route_params&) {
  http::response r;
  r.status = 200;
  r.body = "hello";
  co_return r;
}

rt::task<http::response> big(const http::request&, const http::route_params&) {
  http::response r;
  r.status = 200;
  r.body = std::string(256 * 1024, 'x');
  co_return r;
}

rt::task<http::response> echo_size(const http::request& req, const http::route_params&) {
  http::response r;
  r.status = 200;
  r.body = std::to_string(req.body.size());
  co_return r;
}

http::router routes() {
  http::router r;
  r.add("GET", "/hello", &hello);
  r.add("GET", "/big", &big);
  r.add("POST", "/echo", &echo_size);
  return r;
}

struct served {
  http::server srv;
  net::listener l = std::move(*net::listener::bind(net::socket_address::ipv4_loopback(0)));
  net::socket_address addr = *l.local_address();
  task_scope scope{no_parent};
  explicit served(http::server_options o) : srv(routes(), quiet(std::move(o))) { scope.spawn(srv.serve(l)); }
  static http::server_options quiet(http::server_options o) {
    o.access_log = [](const http::access_entry&) {};
    return o;
  }
  rt::task<void> stop() {
    srv.shutdown();
    co_await scope.join();
  }
  /// A well-behaved client's GET /hello over h2c.
  rt::task<int> hello_status() {
    http::h2_client c{http::client_options{}};
    http::request r;
    r.path = "/hello";
    auto resp = co_await c.request("127.0.0.1:" + std::to_string(addr.port()), r, io_options{clock::now() + 3s});
    co_await c.close();
    co_return resp ? resp->status : 0;
  }
};

/// A raw HTTP/2 (h2c) client: nghttp2 frames what the test asks, and records what comes back.
struct raw_h2 {
  nghttp2_session* s = nullptr;
  std::optional<net::stream> conn;
  std::map<std::int32_t, int> status;          // stream → :status received
  std::map<std::int32_t, std::uint32_t> reset;  // stream → RST_STREAM error code
  bool goaway = false, closed = false;

  static int on_header(nghttp2_session*, const nghttp2_frame* f, const std::uint8_t* name, std::size_t namelen,
                       const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void* self) {
    if (std::string_view(reinterpret_cast<const char*>(name), namelen) == ":status")
      static_cast<raw_h2*>(self)->status[f->hd.stream_id] =
          std::stoi(std::string(reinterpret_cast<const char*>(value), valuelen));
    return 0;
  }
  static int on_frame(nghttp2_session*, const nghttp2_frame* f, void* self) {
    auto* me = static_cast<raw_h2*>(self);
    if (f->hd.type == NGHTTP2_RST_STREAM) me->reset[f->hd.stream_id] = f->rst_stream.error_code;
    if (f->hd.type == NGHTTP2_GOAWAY) me->goaway = true;
    return 0;
  }

  /// `window`: the stream flow-control window it gives the server (0: it reads nothing).
  rt::task<bool> open(net::socket_address to, std::uint32_t window = 65535) {
    auto c = co_await net::stream::connect(to);
    if (!c) co_return false;
    conn.emplace(std::move(*c));
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &on_frame);
    nghttp2_option* opt = nullptr;
    nghttp2_option_new(&opt);
    nghttp2_option_set_no_auto_window_update(opt, 1);  // it consumes only what the test says
    nghttp2_session_client_new2(&s, cbs, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window}};
    nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, settings, 1);
    co_return co_await flush();
  }
  ~raw_h2() { nghttp2_session_del(s); }

  /// HEADERS for `method` `path`; END_STREAM unless `more` (a body follows, or never comes).
  std::int32_t request(const char* method, const char* path, bool more) {
    const char* names[] = {":method", ":scheme", ":authority", ":path"};
    const char* values[] = {method, "http", "x", path};
    nghttp2_nv nva[4];
    for (int i = 0; i < 4; ++i)
      nva[i] = {reinterpret_cast<std::uint8_t*>(const_cast<char*>(names[i])),
                reinterpret_cast<std::uint8_t*>(const_cast<char*>(values[i])), std::strlen(names[i]),
                std::strlen(values[i]), NGHTTP2_NV_FLAG_NONE};
    nghttp2_priority_spec none;
    nghttp2_priority_spec_default_init(&none);
    std::int32_t id = nghttp2_submit_headers(s, more ? NGHTTP2_FLAG_NONE : NGHTTP2_FLAG_END_STREAM, -1, &none, nva, 4,
                                             nullptr);
    return id;
  }
  /// `n` bytes of DATA on `id` (whose HEADERS were flushed: nghttp2 makes the stream then),
  /// never the stream's end.
  void data(std::int32_t id, std::size_t n) {
    auto& pending = _pending_data[id];
    pending.assign(n, 'b');
    nghttp2_data_provider p{};
    p.source.ptr = &pending;
    p.read_callback = [](nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t len, std::uint32_t* flags,
                         nghttp2_data_source* src, void*) -> ssize_t {
      auto* left = static_cast<std::string*>(src->ptr);
      const auto k = std::min(len, left->size());
      std::memcpy(buf, left->data(), k);
      left->erase(0, k);
      if (left->empty()) *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
      return static_cast<ssize_t>(k);
    };
    nghttp2_submit_data(s, NGHTTP2_FLAG_NONE, id, &p);
  }
  rt::task<bool> flush() {
    std::vector<std::byte> out;
    for (;;) {
      const std::uint8_t* p = nullptr;
      auto n = nghttp2_session_mem_send(s, &p);
      if (n <= 0) break;
      auto* b = reinterpret_cast<const std::byte*>(p);
      out.insert(out.end(), b, b + n);
    }
    if (out.empty()) co_return true;
    auto w = co_await conn->send_all(out);
    co_return w.has_value();
  }
  /// Reads what the server sends for up to `d` (until `done` holds, or the connection closes).
  template <class Done>
  rt::task<void> read_for(std::chrono::milliseconds d, Done done) {
    const auto until = clock::now() + d;
    while (clock::now() < until && !done() && !closed) {
      std::byte buf[65536];
      auto r = co_await conn->recv(buf, io_options{std::min(until, clock::now() + 20ms)});
      if (r && *r > 0) {
        nghttp2_session_mem_recv(s, reinterpret_cast<const std::uint8_t*>(buf), *r);
        (void)co_await flush();  // acks, pings
      }
      if ((r && *r == 0) || (!r && r.error() != std::errc::timed_out)) closed = true;
    }
  }

 private:
  std::map<std::int32_t, std::string> _pending_data;  // stream → body bytes not yet framed
};

}  // namespace

// HEADERS without END_STREAM, then a trickle or nothing: the stream is reset once the request
// deadline passes (the old server kept it — and its connection — open forever).
BROOD_RT_TEST(a_request_that_never_ends_is_reset_after_the_request_deadline) {
  http::server_options o;
  o.request_timeout = 300ms;
  served srv(o);
  raw_h2 c;
  BOOST_REQUIRE(co_await c.open(srv.addr));
  const auto quiet = c.request("POST", "/echo", true);
  const auto trickle = c.request("POST", "/echo", true);
  BOOST_REQUIRE(co_await c.flush());
  c.data(trickle, 10);
  BOOST_REQUIRE(co_await c.flush());
  const auto t0 = clock::now();
  co_await c.read_for(3s, [&] { return c.reset.count(quiet) && c.reset.count(trickle); });
  const auto waited = clock::now() - t0;
  BOOST_TEST(c.reset.count(quiet) == 1u);
  BOOST_TEST(c.reset.count(trickle) == 1u);
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count() >= 250);
  BOOST_TEST(srv.srv.stats().stream_timeouts >= 2u);
  const int st = co_await srv.hello_status();
  BOOST_TEST(st == 200);
  co_await srv.stop();
}

// A client that asks and never opens its window: the response cannot leave, and after the idle
// deadline without progress the stream is reset rather than held.
BROOD_RT_TEST(a_response_the_client_never_reads_is_reset) {
  http::server_options o;
  o.idle_timeout = 400ms;
  served srv(o);
  raw_h2 c;
  BOOST_REQUIRE(co_await c.open(srv.addr, 0));
  const auto id = c.request("GET", "/big", false);
  BOOST_REQUIRE(co_await c.flush());
  co_await c.read_for(4s, [&] { return c.reset.count(id) > 0 || c.closed; });
  BOOST_TEST((c.reset.count(id) == 1u || c.closed));
  BOOST_TEST(c.status[id] == 200);
  co_await srv.stop();
}

// Bodies buffered at once on one connection are bounded whatever each stream's own limit:
// past it a stream is answered 413 and its body dropped.
BROOD_RT_TEST(request_bodies_buffered_per_connection_are_capped) {
  http::server_options o;
  o.max_connection_body_bytes = 40 * 1024;
  o.request_timeout = 5s;
  served srv(o);
  raw_h2 c;
  BOOST_REQUIRE(co_await c.open(srv.addr));
  std::vector<std::int32_t> ids;
  for (int i = 0; i < 2; ++i) ids.push_back(c.request("POST", "/echo", true));
  BOOST_REQUIRE(co_await c.flush());
  for (auto id : ids) c.data(id, 25 * 1024);  // each well under the 1 MiB a stream may carry
  BOOST_REQUIRE(co_await c.flush());
  co_await c.read_for(2s, [&] { return !c.status.empty(); });
  // The stream whose bytes took the connection past 40 KiB is refused; the other, still
  // arriving, is held.
  BOOST_REQUIRE(c.status.size() == 1u);
  BOOST_TEST(c.status.begin()->second == 413);
  co_await srv.stop();
}

// And over all connections: one client may buffer an eighth of the server's budget at most, on
// however many connections; the stream that would take it past that is answered 503.
BROOD_RT_TEST(request_bodies_buffered_over_all_connections_are_capped) {
  http::server_options o;
  o.max_connection_body_bytes = 40 * 1024;
  o.max_buffered_body_bytes = 8 * 60 * 1024;
  o.request_timeout = 5s;
  served srv(o);
  raw_h2 c[3];
  std::int32_t ids[3];
  for (int i = 0; i < 3; ++i) {
    BOOST_REQUIRE(co_await c[i].open(srv.addr));
    ids[i] = c[i].request("POST", "/echo", true);
    BOOST_REQUIRE(co_await c[i].flush());
    c[i].data(ids[i], 25 * 1024);  // under each connection's 40 KiB
    BOOST_REQUIRE(co_await c[i].flush());
    co_await c[i].read_for(300ms, [&] { return !c[i].status.empty(); });
  }
  BOOST_TEST(c[0].status.empty());  // held, still arriving
  BOOST_TEST(c[1].status.empty());
  BOOST_TEST(c[2].status[ids[2]] == 503);
  BOOST_TEST(srv.srv.stats().body_budget_refused == 1u);
  co_await srv.stop();
}

namespace {
/// A plain TCP connection to `to` from `source` (an address on lo), or -1.
int tcp_from(const char* source, std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &a.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}
}  // namespace

// One address may hold only so many connections: the rest are closed at once, and another
// address is served as if nothing happened.
BROOD_RT_TEST(connections_per_client_are_capped) {
  http::server_options o;
  o.max_connections_per_client = 5;
  served srv(o);
  std::vector<int> held;
  for (int i = 0; i < 12; ++i) held.push_back(tcp_from("127.0.0.3", srv.addr.port()));
  (void)co_await sleep_for(200ms);
  BOOST_TEST(srv.srv.open_connections() == 5u);
  BOOST_TEST(srv.srv.stats().refused_per_client == 7u);
  const int st = co_await srv.hello_status();  // from 127.0.0.1
  BOOST_TEST(st == 200);
  for (int fd : held)
    if (fd >= 0) ::close(fd);
  co_await srv.stop();
}

// Full: a newcomer is served, and the oldest connection doing nothing (here, idle sockets that
// never sent a byte) is closed to make room. The old server let EMFILE refuse everyone.
BROOD_RT_TEST(a_full_server_makes_room_by_closing_its_oldest_idle_connection) {
  http::server_options o;
  o.max_connections = 20;
  served srv(o);
  std::vector<int> idle;
  for (int i = 0; i < 20; ++i) idle.push_back(tcp_from("127.0.0.4", srv.addr.port()));
  (void)co_await sleep_for(1100ms);  // past the second a handshake may take before it counts as idle
  BOOST_TEST(srv.srv.open_connections() == 20u);
  for (int i = 0; i < 3; ++i) {
    const int st = co_await srv.hello_status();
    BOOST_TEST(st == 200);
    BOOST_TEST(srv.srv.open_connections() <= 21u);
  }
  BOOST_TEST(srv.srv.stats().evicted >= 1u);
  BOOST_TEST(srv.srv.stats().refused_full == 0u);
  for (int fd : idle)
    if (fd >= 0) ::close(fd);
  co_await srv.stop();
}

namespace {
/// Whether the server has closed `fd` (EOF waiting), without blocking.
bool closed_by_server(int fd) {
  char b;
  return ::recv(fd, &b, 1, MSG_DONTWAIT) == 0;
}
}  // namespace

// Full, and the one flooding holds most: room is made from its connections, never from a
// client with a few older ones (the old server closed the oldest, whoever held it).
BROOD_RT_TEST(room_is_made_from_the_client_holding_most_connections) {
  http::server_options o;
  o.max_connections = 20;
  served srv(o);
  std::vector<int> few, many;
  for (int i = 0; i < 5; ++i) few.push_back(tcp_from("127.0.0.6", srv.addr.port()));
  for (int i = 0; i < 15; ++i) many.push_back(tcp_from("127.0.0.5", srv.addr.port()));
  (void)co_await sleep_for(1100ms);
  for (int i = 0; i < 3; ++i) {
    const int st = co_await srv.hello_status();
    BOOST_TEST(st == 200);
  }
  (void)co_await sleep_for(100ms);
  BOOST_TEST(srv.srv.stats().evicted >= 1u);
  int few_closed = 0, many_closed = 0;
  for (int fd : few) few_closed += closed_by_server(fd);
  for (int fd : many) many_closed += closed_by_server(fd);
  BOOST_TEST(few_closed == 0);
  BOOST_TEST(many_closed >= 1);
  for (int fd : few) ::close(fd);
  for (int fd : many) ::close(fd);
  co_await srv.stop();
}

// Connections holding only half-sent HTTP/2 streams (HEADERS, never the end) are doing nothing
// a handler started: a full server closes them to make room (the old one counted any open
// stream as busy, so 20 such connections kept everyone out until the request deadline).
BROOD_RT_TEST(half_sent_streams_do_not_keep_a_full_server_full) {
  http::server_options o;
  o.max_connections = 20;
  o.request_timeout = 30s;
  served srv(o);
  std::vector<std::unique_ptr<raw_h2>> holders;
  for (int i = 0; i < 20; ++i) {
    auto h = std::make_unique<raw_h2>();
    BOOST_REQUIRE(co_await h->open(srv.addr));
    for (int k = 0; k < 5; ++k) h->request("POST", "/echo", true);
    BOOST_REQUIRE(co_await h->flush());
    holders.push_back(std::move(h));
  }
  (void)co_await sleep_for(200ms);
  BOOST_TEST(srv.srv.open_connections() == 20u);
  const int st = co_await srv.hello_status();
  BOOST_TEST(st == 200);
  BOOST_TEST(srv.srv.stats().evicted >= 1u);
  BOOST_TEST(srv.srv.stats().refused_full == 0u);
  co_await srv.stop();
}

BOOST_AUTO_TEST_SUITE_END()
