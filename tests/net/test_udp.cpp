// UDP over IPv4 and IPv6: one-shot send/receive, 100,000 datagrams through the multishot
// receive with its provided-buffer ring, truncation, and a receiver dropped mid-stream.
#include "support/rt_test.hpp"

#include <brood/net/udp.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/with_timeout.hpp>

#include <cstring>
#include <vector>

using namespace brood;
using namespace brood::rt;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(udp)

static brood::rt::task<void> ping(net::socket_address local) {
  auto a = net::udp_socket::bind(local);
  auto b = net::udp_socket::bind(local);
  BOOST_REQUIRE((a.has_value() && b.has_value()));
  auto to = *b->local_address();
  auto sent = co_await a->send_to(net::as_bytes("stun?"), to);
  BOOST_TEST((sent.has_value() && *sent == 5u));
  std::byte buf[64];
  net::socket_address from;
  auto got = co_await b->recv_from(buf, from, io_options{clock::now() + 5s});
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(*got == 5u);
  BOOST_TEST(std::memcmp(buf, "stun?", 5) == 0);
  BOOST_TEST((from == *a->local_address()));
  // Too small a buffer is reported, not silently cut.
  auto again = co_await a->send_to(net::as_bytes("0123456789"), to);
  BOOST_TEST(again.has_value());
  std::byte small[4];
  auto cut = co_await b->recv_from(small, from);
  BOOST_TEST((cut.error() == std::errc::message_size));
}

BROOD_RT_TEST(send_and_receive_over_ipv4) { co_await ping(net::socket_address::ipv4_loopback(0)); }

BROOD_RT_TEST(send_and_receive_over_ipv6) {
  if (!net::udp_socket::bind(net::socket_address::ipv6_loopback(0))) BROOD_SKIP("no IPv6 loopback");
  co_await ping(net::socket_address::ipv6_loopback(0));
}

struct flow {
  std::uint32_t received = 0;
  std::uint32_t in_order = 0;
  bool payload_ok = true;
  bool peer_ok = true;
};

static brood::rt::task<void> receive_all(net::udp_socket* sock, net::socket_address sender, std::uint32_t total, flow* f) {
  net::udp_receiver rx(sock->fd(), 64, 256);
  while (f->received < total) {
    auto d = co_await with_timeout(10s, rx.next());
    BOOST_REQUIRE(d.has_value());
    std::uint32_t seq = 0;
    BOOST_REQUIRE(d->payload().size() == 64u);
    std::memcpy(&seq, d->payload().data(), sizeof seq);
    if (seq == f->received) ++f->in_order;
    for (std::size_t i = 4; i < 64; ++i)
      if (d->payload()[i] != static_cast<std::byte>(seq + i)) f->payload_ok = false;
    if (!(d->peer() == sender)) f->peer_ok = false;
    ++f->received;
  }
}

static brood::rt::task<void> send_all(net::udp_socket* sock, net::socket_address to, std::uint32_t total, flow* f) {
  std::byte msg[64];
  for (std::uint32_t seq = 0; seq < total; ++seq) {
    // A window keeps the sender from overrunning the socket buffer (UDP would drop, by design).
    while (seq - f->received >= 512) co_await yield();
    std::memcpy(msg, &seq, sizeof seq);
    for (std::size_t i = 4; i < 64; ++i) msg[i] = static_cast<std::byte>(seq + i);
    auto s = co_await sock->send_to(msg, to);
    BOOST_REQUIRE(s.has_value());
  }
}

BROOD_RT_TEST(a_hundred_thousand_datagrams_through_multishot_receive) {
  auto rx = net::udp_socket::bind(net::socket_address::ipv4_loopback(0));
  auto tx = net::udp_socket::bind(net::socket_address::ipv4_loopback(0));
  BOOST_REQUIRE((rx.has_value() && tx.has_value()));
  (void)rx->sock().set_option(SOL_SOCKET, SO_RCVBUF, 4 << 20);
  constexpr std::uint32_t total = 100'000;
  flow f;
  task_scope s{no_parent};
  s.spawn(receive_all(&*rx, *tx->local_address(), total, &f));
  s.spawn(send_all(&*tx, *rx->local_address(), total, &f));
  co_await s.join();
  BOOST_TEST(f.received == total);
  BOOST_TEST(f.in_order == total);
  BOOST_TEST(f.payload_ok);
  BOOST_TEST(f.peer_ok);
}

BROOD_RT_TEST(an_oversized_datagram_is_flagged_truncated) {
  auto rx = net::udp_socket::bind(net::socket_address::ipv4_loopback(0));
  auto tx = net::udp_socket::bind(net::socket_address::ipv4_loopback(0));
  BOOST_REQUIRE((rx.has_value() && tx.has_value()));
  net::udp_receiver r(rx->fd(), 4, 256);
  std::vector<std::byte> big(1000, std::byte{1});
  auto s = co_await tx->send_to(big, *rx->local_address());
  BOOST_REQUIRE(s.has_value());
  auto d = co_await r.next();
  BOOST_REQUIRE(d.has_value());
  BOOST_TEST(d->truncated());
  BOOST_TEST(d->payload().size() < big.size());
}

BROOD_RT_TEST(a_receiver_dropped_with_datagrams_queued_leaks_nothing) {
  auto rx = net::udp_socket::bind(net::socket_address::ipv4_loopback(0));
  auto tx = net::udp_socket::bind(net::socket_address::ipv4_loopback(0));
  BOOST_REQUIRE((rx.has_value() && tx.has_value()));
  net::datagram kept;
  {
    net::udp_receiver r(rx->fd(), 8, 128);
    for (int i = 0; i < 20; ++i) {
      auto s = co_await tx->send_to(net::as_bytes("x"), *rx->local_address());
      BOOST_REQUIRE(s.has_value());
    }
    auto d = co_await r.next();
    BOOST_REQUIRE_MESSAGE(d.has_value(), d.error().message());
    kept = std::move(*d);  // outlives the receiver: the engine stays until it is released
  }
  BOOST_TEST(kept.payload().size() == 1u);
  kept = net::datagram{};
  (void)co_await sleep_for(2ms);
}

BOOST_AUTO_TEST_SUITE_END()
