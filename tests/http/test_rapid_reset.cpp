// A rapid-reset flood (CVE-2023-44487: open a stream, reset it, repeat) on one connection is
// cut off by the server, and a well-behaved client on another connection keeps being served.
#include "support/rt_test.hpp"

#include <brood/http/h2_client.hpp>
#include <brood/http/server.hpp>
#include <brood/rt/task_scope.hpp>

#include <nghttp2/nghttp2.h>

#include <cstring>
#include <vector>

using namespace brood;
using namespace brood::rt;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(rapid_reset)

static rt::task<http::response> ok(const http::request&, const http::route_params&) {
  http::response r;
  r.status = 200;
  r.body = "ok";
  co_return r;
}

static int on_frame(nghttp2_session*, const nghttp2_frame* f, void* cut_off) {
  if (f->hd.type == NGHTTP2_GOAWAY) *static_cast<bool*>(cut_off) = true;
  return 0;
}

/// Floods `to` with HEADERS+RST_STREAM pairs; `cut_off` once the server sent GOAWAY or hung up.
static rt::task<void> flood(net::socket_address to, bool* cut_off, int* streams_sent) {
  auto c = co_await net::stream::connect(to);
  BOOST_REQUIRE(c.has_value());
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &on_frame);
  nghttp2_session* s = nullptr;
  nghttp2_session_client_new(&s, cbs, cut_off);
  nghttp2_session_callbacks_del(cbs);
  nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, nullptr, 0);
  const char* names[] = {":method", ":scheme", ":authority", ":path"};
  const char* values[] = {"GET", "http", "x", "/ok"};
  nghttp2_nv nva[4];
  for (int i = 0; i < 4; ++i)
    nva[i] = {reinterpret_cast<std::uint8_t*>(const_cast<char*>(names[i])),
              reinterpret_cast<std::uint8_t*>(const_cast<char*>(values[i])), std::strlen(names[i]),
              std::strlen(values[i]), NGHTTP2_NV_FLAG_NONE};
  std::vector<std::byte> out;
  auto serialize = [&] {  // nghttp2 drops a request reset before its HEADERS left: emit each frame
    for (;;) {
      const std::uint8_t* p = nullptr;
      auto n = nghttp2_session_mem_send(s, &p);
      if (n <= 0) break;
      auto* b = reinterpret_cast<const std::byte*>(p);
      out.insert(out.end(), b, b + n);
    }
  };
  for (int round = 0; round < 100 && !*cut_off; ++round) {
    out.clear();
    for (int i = 0; i < 100; ++i) {
      std::int32_t id = nghttp2_submit_request(s, nullptr, nva, 4, nullptr, nullptr);
      if (id < 0) break;
      serialize();
      nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
      serialize();
      ++*streams_sent;
    }
    auto w = co_await c->send_all(out);
    if (!w) {
      *cut_off = true;
      break;
    }
    // Read what the server says without blocking: GOAWAY or a closed connection ends the flood.
    std::byte buf[65536];
    auto r = co_await c->recv(buf, io_options{clock::now() + 1ms});
    if (r && *r > 0) nghttp2_session_mem_recv(s, reinterpret_cast<const std::uint8_t*>(buf), *r);
    if ((r && *r == 0) || (!r && r.error() != std::errc::timed_out)) *cut_off = true;
  }
  for (int i = 0; i < 300 && !*cut_off; ++i) {  // wait (bounded, 3 s) for the server's verdict
    std::byte buf[65536];
    auto r = co_await c->recv(buf, io_options{clock::now() + 10ms});
    if (r && *r > 0) nghttp2_session_mem_recv(s, reinterpret_cast<const std::uint8_t*>(buf), *r);
    if ((r && *r == 0) || (!r && r.error() != std::errc::timed_out)) *cut_off = true;
  }
  nghttp2_session_del(s);
}

static rt::task<void> well_behaved(net::socket_address to, int* good) {
  http::client_options o;
  http::h2_client client(o);
  for (int i = 0; i < 50; ++i) {
    http::request r;
    r.path = "/ok";
    auto resp = co_await client.request("127.0.0.1:" + std::to_string(to.port()), r, io_options{clock::now() + 5s});
    if (resp && resp->status == 200) ++*good;
  }
  co_await client.close();
}

BROOD_RT_TEST(a_rapid_reset_flood_is_cut_off_and_others_are_served) {
  http::router router;
  router.add("GET", "/ok", &ok);
  http::server_options so;
  so.access_log = [](const http::access_entry&) {};
  http::server srv(std::move(router), so);
  auto l = net::listener::bind(net::socket_address::ipv4_loopback(0));
  BOOST_REQUIRE(l.has_value());
  auto addr = *l->local_address();
  task_scope servers{no_parent};
  servers.spawn(srv.serve(*l));
  bool cut_off = false;
  int sent = 0, good = 0;
  task_scope clients{no_parent};
  clients.spawn(flood(addr, &cut_off, &sent));
  clients.spawn(well_behaved(addr, &good));
  co_await clients.join();
  BOOST_TEST_MESSAGE("flood streams sent before the cut: " << sent);
  BOOST_TEST(cut_off);
  BOOST_TEST(sent < 10000);  // cut off before the flood ran its course
  BOOST_TEST(good == 50);
  srv.shutdown();
  co_await servers.join();
}

BOOST_AUTO_TEST_SUITE_END()
