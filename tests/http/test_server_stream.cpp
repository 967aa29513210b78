// Streamed responses (response::stream, what GET /watch is built on) against real clients: curl
// over h2 and HTTP/1.1 and nghttp receive every chunk; each chunk reaches the client while the
// stream is still open; a drain ends open streams cleanly (the client sees a complete body); a
// client that goes away frees its stream; a client that reads nothing has its stream reset. And
// brood's own h2_client reading a streamed body as it comes (h2_client::open).
#include "support/rt_test.hpp"
#include "support/test_pki.hpp"

#include <brood/http/h2_client.hpp>
#include <brood/http/server.hpp>
#include <brood/rt/process.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/wait_slot.hpp>

#include <nghttp2/nghttp2.h>

#include <csignal>
#include <cstring>
#include <deque>

using namespace brood;
using namespace brood::rt;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(server_stream)

namespace {

/// Chunks the test pushes by hand, one open stream at a time; counts the streams alive.
struct feed {
  std::deque<std::string> queue;
  rt::wait_slot ready;
  int live = 0;
  int cancelled = 0;
  void push(std::string s) {
    queue.push_back(std::move(s));
    ready.notify();
  }
};

class pushed_stream final : public http::body_stream {
 public:
  explicit pushed_stream(feed& f) : _f(f) { ++_f.live; }
  ~pushed_stream() override { --_f.live; }
  rt::task<std::optional<std::string>> next() override {
    while (_f.queue.empty()) {
      auto w = co_await _f.ready.wait();
      if (!w) {
        ++_f.cancelled;
        co_return std::nullopt;
      }
    }
    std::string s = std::move(_f.queue.front());
    _f.queue.pop_front();
    if (s == "end") co_return std::nullopt;
    co_return s;
  }

 private:
  feed& _f;
};

/// `n` chunks, one every 10 ms, then the end.
class counted_stream final : public http::body_stream {
 public:
  explicit counted_stream(int n) : _n(n) {}
  rt::task<std::optional<std::string>> next() override {
    if (_i == _n) co_return std::nullopt;
    auto s = co_await sleep_for(10ms);
    if (!s) co_return std::nullopt;
    co_return "chunk " + std::to_string(_i++) + "\n";
  }

 private:
  int _n, _i = 0;
};

rt::task<http::response> counted_response(const http::request&, const http::route_params&) {
  http::response resp;
  resp.status = 200;
  resp.headers.push_back({"content-type", "text/plain"});
  resp.body = "start\n";
  resp.stream = std::make_shared<counted_stream>(5);
  co_return resp;
}

struct stream_server {
  test::test_pki pki;
  test::test_pki::leaf leaf = pki.issue("api", {"DNS:localhost", "IP:127.0.0.1"});
  feed pushed;
  http::server srv;
  net::listener tls_l, plain_l;
  std::optional<tls::server_credentials> creds;
  task_scope scope{no_parent};

  static http::server_options options(std::chrono::milliseconds idle = 60s) {
    http::server_options o;
    o.access_log = [](const http::access_entry&) {};
    o.request_timeout = 2s;
    o.idle_timeout = idle;
    return o;
  }
  http::router routes() {
    http::router r;
    r.add("GET", "/count", &counted_response);
    r.add("GET", "/pushed", [this](const http::request&, const http::route_params&) -> rt::task<http::response> {
      return pushed_response();
    });
    return r;
  }
  rt::task<http::response> pushed_response() {
    http::response resp;
    resp.status = 200;
    resp.stream = std::make_shared<pushed_stream>(pushed);
    co_return resp;
  }

  explicit stream_server(std::chrono::milliseconds idle = 60s)
      : srv(routes(), options(idle)),
        tls_l(*net::listener::bind(net::socket_address::ipv4_loopback(0))),
        plain_l(*net::listener::bind(net::socket_address::ipv4_loopback(0))) {
    auto c = tls::server_credentials::load({leaf.cert_file, leaf.key_file});
    BOOST_REQUIRE(c.has_value());
    creds.emplace(std::move(*c));
    scope.spawn(srv.serve(tls_l, &*creds));
    scope.spawn(srv.serve(plain_l));
  }
  std::string tls_url(std::string_view path) const {
    return "https://localhost:" + std::to_string(tls_l.local_address()->port()) + std::string(path);
  }
  std::string plain_url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(plain_l.local_address()->port()) + std::string(path);
  }
  rt::task<void> stop() {
    srv.shutdown();
    co_await scope.join();
  }
};

struct tool_result {
  std::string out;
  exit_status status;
};

rt::task<tool_result> run_tool(std::vector<std::string> argv) {
  process_options o;
  o.out = process_options::stdio::pipe;
  o.err = process_options::stdio::null;
  auto p = process::spawn(argv, o);
  BOOST_REQUIRE(p.has_value());
  auto out = co_await read_to_end(p->stdout_fd(), 1 << 20);
  auto st = co_await p->wait();
  BOOST_REQUIRE(st.has_value());
  co_return tool_result{out ? *out : std::string("read failed"), *st};
}

/// Reads `fd` until `acc` ends with `want`, for at most 5 s.
rt::task<bool> read_until(int fd, std::string& acc, std::string_view want) {
  const auto deadline = clock::now() + 5s;
  std::byte buf[4096];
  while (!(acc.size() >= want.size() && acc.compare(acc.size() - want.size(), want.size(), want) == 0)) {
    auto n = co_await rt::read(fd, buf, -1, io_options{deadline});
    if (!n || *n == 0) co_return false;
    acc.append(reinterpret_cast<const char*>(buf), *n);
  }
  co_return true;
}

rt::task<void> counted_case() {
  stream_server s;
  const std::string want = "start\nchunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n";
  std::vector<std::string> h2{"curl", "-sS", "--http2", "--cacert", s.pki.ca_file(), "-w", "%{http_code} %{http_version}",
                              s.tls_url("/count")};
  auto a = co_await run_tool(h2);
  BOOST_TEST(a.out == want + "200 2");
  std::vector<std::string> h1{"curl", "-sS", "--http1.1", "--cacert", s.pki.ca_file(), "-w", "%{http_code} %{http_version}",
                              s.tls_url("/count")};
  auto b = co_await run_tool(h1);
  BOOST_TEST(b.out == want + "200 1.1");
  std::vector<std::string> nghttp{"nghttp", s.plain_url("/count")};
  auto c = co_await run_tool(nghttp);
  BOOST_TEST(c.out == want);
  BOOST_TEST((a.status.success() && b.status.success() && c.status.success()));
  co_await s.stop();
}

/// curl holding /pushed open over `http_flag`, connected and past a first chunk ("first\n").
rt::task<process> curl_on_pushed(stream_server& s, std::string http_flag) {
  process_options o;
  o.out = process_options::stdio::pipe;
  o.err = process_options::stdio::null;
  std::vector<std::string> argv{"curl", "-sS", "-N", http_flag, "--cacert", s.pki.ca_file(), s.tls_url("/pushed")};
  auto p = process::spawn(argv, o);
  BOOST_REQUIRE(p.has_value());
  for (int i = 0; i < 50 && s.pushed.live == 0; ++i) (void)co_await sleep_for(20ms);  // curl connects
  BOOST_REQUIRE(s.pushed.live == 1);
  std::string got;
  s.pushed.push("first\n");
  const bool first = co_await read_until(p->stdout_fd(), got, "first\n");
  BOOST_TEST(first);
  co_return std::move(*p);
}

/// curl holds /pushed open; each pushed chunk arrives while the stream is open; then the
/// server drains and curl sees a complete body (exit 0).
rt::task<void> pushed_case(std::string http_flag) {
  stream_server s;
  auto proc = co_await curl_on_pushed(s, http_flag);
  auto* p = &proc;
  std::string got = "first\n";
  s.pushed.push(std::string(100'000, 'x') + "\n");  // larger than a frame, a window update away
  BOOST_TEST(co_await read_until(p->stdout_fd(), got, "x\n"));
  s.pushed.push("third\n");
  BOOST_TEST(co_await read_until(p->stdout_fd(), got, "third\n"));
  BOOST_TEST(got.size() == 6 + 100'001 + 6);

  co_await s.stop();  // the drain ends the open stream
  auto rest = co_await read_to_end(p->stdout_fd(), 1 << 20);
  BOOST_TEST((rest.has_value() && rest->empty()));
  auto st = co_await p->wait();
  BOOST_REQUIRE(st.has_value());
  BOOST_TEST(st->success());  // a complete body: END_STREAM, or the last chunk
  BOOST_TEST(s.pushed.live == 0);
  BOOST_TEST(s.pushed.cancelled == 1);
}

/// A client killed mid-stream: its stream is cancelled and freed. Over h2 the connection's end
/// is seen at once; over HTTP/1.1 at the next chunk the server tries to send.
rt::task<void> gone_case(std::string http_flag) {
  stream_server s;
  auto proc = co_await curl_on_pushed(s, http_flag);
  auto* p = &proc;
  (void)p->kill(SIGKILL);
  (void)co_await p->wait();
  if (http_flag == "--http1.1") {
    (void)co_await sleep_for(50ms);
    s.pushed.push("nobody reads this\n");  // first write may still land in the socket buffer
    (void)co_await sleep_for(50ms);
    s.pushed.push("nor this\n");
  }
  for (int i = 0; i < 100 && s.pushed.live != 0; ++i) (void)co_await sleep_for(20ms);
  BOOST_TEST(s.pushed.live == 0);
  co_await s.stop();
}

int on_close(nghttp2_session*, std::int32_t, std::uint32_t code, void* out) {
  *static_cast<std::uint32_t*>(out) = code;
  return 0;
}

/// An h2c client (nghttp2) that opens /pushed with a stream window of zero and never reads the
/// body: once more than the server's stream buffer is queued and idle_timeout passes, the
/// server resets the stream (CANCEL) and frees it.
rt::task<void> stalled_case() {
  stream_server s(300ms);
  auto c = co_await net::stream::connect(*s.plain_l.local_address());
  BOOST_REQUIRE(c.has_value());
  std::uint32_t closed_with = 0xffff'ffff;
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &on_close);
  nghttp2_session* h = nullptr;
  nghttp2_session_client_new(&h, cbs, &closed_with);
  nghttp2_session_callbacks_del(cbs);
  const nghttp2_settings_entry zero_window{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0};
  nghttp2_submit_settings(h, NGHTTP2_FLAG_NONE, &zero_window, 1);
  const char* names[] = {":method", ":scheme", ":authority", ":path"};
  const char* values[] = {"GET", "http", "x", "/pushed"};
  nghttp2_nv nva[4];
  for (int i = 0; i < 4; ++i)
    nva[i] = {reinterpret_cast<std::uint8_t*>(const_cast<char*>(names[i])),
              reinterpret_cast<std::uint8_t*>(const_cast<char*>(values[i])), std::strlen(names[i]),
              std::strlen(values[i]), NGHTTP2_NV_FLAG_NONE};
  BOOST_REQUIRE(nghttp2_submit_request(h, nullptr, nva, 4, nullptr, nullptr) == 1);
  std::vector<std::byte> out;
  for (;;) {
    const std::uint8_t* p = nullptr;
    auto n = nghttp2_session_mem_send(h, &p);
    if (n <= 0) break;
    out.insert(out.end(), reinterpret_cast<const std::byte*>(p), reinterpret_cast<const std::byte*>(p) + n);
  }
  auto w = co_await c->send_all(out);
  BOOST_REQUIRE(w.has_value());
  for (int i = 0; i < 50 && s.pushed.live == 0; ++i) (void)co_await sleep_for(20ms);
  BOOST_REQUIRE(s.pushed.live == 1);
  s.pushed.push(std::string(300'000, 'x'));  // more than the 256 KiB the server queues per stream
  // Read (without ever acknowledging data: the window stays shut) until the stream closes.
  const auto deadline = clock::now() + 3s;
  std::byte buf[65536];
  while (closed_with == 0xffff'ffff && clock::now() < deadline) {
    auto n = co_await c->recv(buf, io_options{deadline});
    if (!n || *n == 0) break;
    nghttp2_session_mem_recv(h, reinterpret_cast<const std::uint8_t*>(buf), *n);
  }
  BOOST_TEST(closed_with == static_cast<std::uint32_t>(NGHTTP2_CANCEL));
  BOOST_TEST(s.pushed.live == 0);
  nghttp2_session_del(h);
  co_await s.stop();
}

/// h2_client::open over TLS: the headers first, then each pushed chunk as it comes; a read
/// with nothing to read times out and the stream stays open; dropping the stream resets it on
/// the server; a second stream ends cleanly when the server drains.
rt::task<void> client_case() {
  stream_server s;
  http::client_options co;
  tls::client_options tco;
  tco.ca_file = s.pki.ca_file();
  co.tls = *tls::context::client(tco);
  http::h2_client client(co);
  const std::string authority = "localhost:" + std::to_string(s.tls_l.local_address()->port());
  http::request get;
  get.path = "/pushed";
  auto opened = co_await client.open(authority, get, io_options{clock::now() + 5s});
  BOOST_REQUIRE(opened.has_value());
  auto& stream = **opened;
  BOOST_TEST(stream.status() == 200);
  BOOST_REQUIRE(s.pushed.live == 1);
  auto nothing = co_await stream.read(io_options{clock::now() + 50ms});
  BOOST_TEST((!nothing && nothing.error() == std::errc::timed_out));
  s.pushed.push("one\n");
  auto one = co_await stream.read(io_options{clock::now() + 5s});
  BOOST_TEST((one && *one == "one\n"));
  s.pushed.push(std::string(200'000, 'y'));  // several DATA frames
  std::string big;
  while (big.size() < 200'000) {
    auto part = co_await stream.read(io_options{clock::now() + 5s});
    BOOST_REQUIRE((part && !part->empty()));
    big += *part;
  }
  BOOST_TEST(big == std::string(200'000, 'y'));
  opened->reset();  // reset: the server's stream goes
  for (int i = 0; i < 100 && s.pushed.live != 0; ++i) (void)co_await sleep_for(10ms);
  BOOST_TEST(s.pushed.live == 0);

  auto second = co_await client.open(authority, get, io_options{clock::now() + 5s});
  BOOST_REQUIRE(second.has_value());
  s.pushed.push("two\n");
  auto two = co_await (*second)->read(io_options{clock::now() + 5s});
  BOOST_TEST((two && *two == "two\n"));
  s.srv.shutdown();  // the drain ends the stream: END_STREAM, then the end of the body
  auto end = co_await (*second)->read(io_options{clock::now() + 5s});
  BOOST_TEST((end && end->empty()));
  BOOST_TEST((*second)->ended());
  second->reset();
  co_await client.close();
  co_await s.scope.join();
}

}  // namespace

BROOD_RT_TEST(h2_client_reads_a_streamed_body_as_it_comes) { co_await client_case(); }
BROOD_RT_TEST(a_client_that_reads_nothing_has_its_stream_reset) { co_await stalled_case(); }
BROOD_RT_TEST(streamed_bodies_reach_curl_and_nghttp_whole) { co_await counted_case(); }
BROOD_RT_TEST(each_chunk_arrives_while_the_h2_stream_is_open) { co_await pushed_case("--http2"); }
BROOD_RT_TEST(each_chunk_arrives_while_the_http1_stream_is_open) { co_await pushed_case("--http1.1"); }
BROOD_RT_TEST(a_client_gone_from_an_h2_stream_frees_it) { co_await gone_case("--http2"); }
BROOD_RT_TEST(a_client_gone_from_an_http1_stream_frees_it) { co_await gone_case("--http1.1"); }

BOOST_AUTO_TEST_SUITE_END()
