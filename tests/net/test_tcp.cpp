// TCP over loopback: echo, 1,000 concurrent connections, refusals, deadlines, IPv6, and a
// listener dropped with its multishot accept armed.
#include "support/rt_test.hpp"

#include <brood/net/listener.hpp>
#include <brood/net/socket.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>

#include <sys/resource.h>

#include <random>
#include <vector>

using namespace brood;
using namespace brood::rt;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(tcp)

static brood::rt::task<void> echo_connection(net::stream c) {
  std::vector<std::byte> buf(16384);
  for (;;) {
    auto n = co_await c.recv(buf);
    if (!n || *n == 0) co_return;
    auto s = co_await c.send_all(std::span(buf.data(), *n));
    if (!s) co_return;
  }
}

static brood::rt::task<void> echo_server(net::listener* l, int connections) {
  auto token = co_await current_token();
  task_scope conns(token);
  for (int i = 0; i < connections; ++i) {
    auto c = co_await l->accept();
    if (!c) break;
    conns.spawn(echo_connection(std::move(*c)));
  }
  co_await conns.join();
}

static brood::rt::task<void> echo_client(net::socket_address to, unsigned seed, int* good) {
  auto c = co_await net::stream::connect(to, io_options{clock::now() + 10s});
  BOOST_REQUIRE(c.has_value());
  std::mt19937 rng(seed);
  bool all_ok = true;
  for (int round = 0; round < 3; ++round) {
    std::vector<std::byte> out(1 + rng() % 6000);
    for (auto& b : out) b = static_cast<std::byte>(rng());
    auto s = co_await c->send_all(out);
    BOOST_REQUIRE(s.has_value());
    std::vector<std::byte> back(out.size());
    auto r = co_await c->recv_exact(back, io_options{clock::now() + 10s});
    BOOST_REQUIRE(r.has_value());
    all_ok = all_ok && back == out;
  }
  if (all_ok) ++*good;
}

static void raise_fd_limit(rlim_t want) {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < want) {
    rl.rlim_cur = std::min(want, rl.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static brood::rt::task<void> many_clients(int n, int* good) {
  auto l = net::listener::bind(net::socket_address::ipv4_loopback(0), 4096);
  BOOST_REQUIRE(l.has_value());
  auto addr = l->local_address();
  task_scope s{no_parent};
  s.spawn(echo_server(&*l, n));
  for (int i = 0; i < n; ++i) s.spawn(echo_client(*addr, static_cast<unsigned>(i), good));
  co_await s.join();
}

BOOST_AUTO_TEST_CASE(a_thousand_concurrent_connections_echo_correctly) {
  raise_fd_limit(8192);
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 2100) BROOD_SKIP("RLIMIT_NOFILE below 2100");
  int good = 0;
  brood::test::run_on_reactor([&] { return many_clients(1000, &good); });
  BOOST_TEST(good == 1000);
}

BROOD_RT_TEST(a_closed_port_refuses) {
  // Bind then close, so the port is known to be free of listeners.
  auto probe = net::listener::bind(net::socket_address::ipv4_loopback(0));
  BOOST_REQUIRE(probe.has_value());
  auto addr = *probe->local_address();
  probe = net::listener{};
  auto c = co_await net::stream::connect(addr);
  BOOST_TEST((c.error() == std::errc::connection_refused));
}

static brood::rt::task<void> accept_and_hold(net::listener* l, bool* held) {
  auto c = co_await l->accept();
  BOOST_REQUIRE(c.has_value());
  std::byte b[1];
  auto r = co_await c->recv(b);  // the client never sends; cancelled with the scope
  *held = is_cancelled(r.error());
}

BROOD_RT_TEST(a_silent_peer_hits_the_recv_deadline) {
  auto l = net::listener::bind(net::socket_address::ipv4_loopback(0));
  BOOST_REQUIRE(l.has_value());
  task_scope s{no_parent};
  bool held = false;
  s.spawn(accept_and_hold(&*l, &held));
  auto c = co_await net::stream::connect(*l->local_address());
  BOOST_REQUIRE(c.has_value());
  std::byte b[16];
  auto start = clock::now();
  auto r = co_await c->recv(b, io_options{clock::now() + 30ms});
  BOOST_TEST((r.error() == std::errc::timed_out));
  BOOST_TEST((clock::now() - start >= 30ms));
  s.cancel();
  co_await s.join();
  BOOST_TEST(held);
}

BROOD_RT_TEST(ipv6_loopback_echoes) {
  auto l = net::listener::bind(net::socket_address::ipv6_loopback(0));
  if (!l) BROOD_SKIP("no IPv6 loopback");
  auto addr = l->local_address();
  task_scope s{no_parent};
  int good = 0;
  s.spawn(echo_server(&*l, 1));
  s.spawn(echo_client(*addr, 7, &good));
  co_await s.join();
  BOOST_TEST(good == 1);
}

BROOD_RT_TEST(a_listener_dropped_while_accepting_leaks_nothing) {
  for (int i = 0; i < 10; ++i) {
    auto l = net::listener::bind(net::socket_address::ipv4_loopback(0));
    BOOST_REQUIRE(l.has_value());
    auto addr = *l->local_address();
    // Arm the multishot accept, let a connection queue up, then drop the listener.
    task_scope s{no_parent};
    s.spawn(echo_server(&*l, 1));
    (void)co_await sleep_for(1ms);
    auto c = co_await net::stream::connect(addr);
    BOOST_REQUIRE(c.has_value());
    s.cancel();
    co_await s.join();
  }
  // The abandoned engines finish on their final CQEs; give the kernel a turn to post them.
  (void)co_await sleep_for(5ms);
}

BOOST_AUTO_TEST_SUITE_END()
