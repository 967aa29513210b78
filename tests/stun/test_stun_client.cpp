// STUN client against coturn (loopback over IPv4 and IPv6, RFC 5780 other address; and behind
// a masquerading NAT in network namespaces, whose mapping the client must tell apart), and
// against in-test UDP servers that stay silent, answer late, or send garbage first.
#include <brood/stun/stun_client.hpp>

#include "support/netns.hpp"
#include "support/peer_process.hpp"
#include "support/rt_test.hpp"

#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>

#include <array>
#include <cstring>
#include <filesystem>

using namespace brood;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(stun_client)

namespace {

std::vector<std::string> coturn_argv(const std::string& dir, std::uint16_t port, std::vector<std::string> listen) {
  std::vector<std::string> a{"turnserver", "-n", "--stun-only", "--no-cli", "--no-tls", "--no-dtls", "-z",
                             "--simple-log", "--log-file", "stdout", "--db", dir + "/turndb",
                             "-p", std::to_string(port)};
  for (auto& l : listen) {
    a.push_back("-L");
    a.push_back(l);
  }
  return a;
}

struct scratch {
  std::string dir;
  scratch() {
    dir = "/tmp/brood-stun-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
  }
  ~scratch() { std::filesystem::remove_all(dir); }
};

net::socket_address addr(const std::string& s) { return *net::socket_address::parse(s); }

/// A Binding answer for transaction `tid` saying `mapped`, with `type`.
std::vector<std::uint8_t> answer_to(const stun::transaction_id& tid, const net::socket_address& mapped,
                                    std::uint16_t type = 0x0101) {
  const auto* sin = reinterpret_cast<const sockaddr_in*>(mapped.data());
  const std::uint16_t xport = static_cast<std::uint16_t>(mapped.port() ^ 0x2112);
  const std::uint32_t xaddr = ntohl(sin->sin_addr.s_addr) ^ 0x2112A442;
  const std::uint8_t head[] = {static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type), 0, 12,
                               0x21, 0x12, 0xa4, 0x42};
  const std::uint8_t xma[] = {0x00, 0x20, 0x00, 0x08, 0x00, 0x01, static_cast<std::uint8_t>(xport >> 8),
                              static_cast<std::uint8_t>(xport), static_cast<std::uint8_t>(xaddr >> 24),
                              static_cast<std::uint8_t>(xaddr >> 16), static_cast<std::uint8_t>(xaddr >> 8),
                              static_cast<std::uint8_t>(xaddr)};
  std::vector<std::uint8_t> m(sizeof head + tid.size() + sizeof xma);
  std::memcpy(m.data(), head, sizeof head);
  std::memcpy(m.data() + sizeof head, tid.data(), tid.size());
  std::memcpy(m.data() + sizeof head + tid.size(), xma, sizeof xma);
  return m;
}

/// A UDP server on loopback that answers the `answer_on`-th request it receives (0: never),
/// after first sending garbage and an answer with another transaction id; it counts requests
/// and checks that retransmissions repeat the first request byte for byte.
struct scripted_server {
  net::udp_socket sock = *net::udp_socket::bind(net::socket_address::ipv4_loopback(0));
  unsigned answer_on = 0;
  std::uint16_t answer_type = 0x0101;
  unsigned requests = 0;
  bool identical = true;

  rt::task<void> serve(rt::clock::time_point until) {
    std::array<std::byte, 1500> buf;
    std::vector<std::uint8_t> first;
    while (rt::clock::now() < until) {
      net::socket_address from;
      auto n = co_await sock.recv_from(std::span(buf), from, rt::io_options{until});
      if (!n) co_return;
      std::vector<std::uint8_t> got(reinterpret_cast<const std::uint8_t*>(buf.data()),
                                    reinterpret_cast<const std::uint8_t*>(buf.data()) + *n);
      ++requests;
      if (first.empty()) first = got;
      identical = identical && got == first;
      if (requests != answer_on) continue;
      const std::array<std::uint8_t, 5> garbage{1, 2, 3, 4, 5};
      (void)co_await sock.send_to(std::as_bytes(std::span(garbage)), from);
      auto request = stun::parse(got);
      BOOST_REQUIRE(request.has_value());
      auto other = request->tid;
      other[3] ^= 0xff;  // another transaction
      auto wrong = answer_to(other, net::socket_address::ipv4_loopback(1));
      (void)co_await sock.send_to(std::as_bytes(std::span(wrong)), from);
      auto right = answer_to(request->tid, *net::socket_address::parse("203.0.113.9:4242"), answer_type);
      (void)co_await sock.send_to(std::as_bytes(std::span(right)), from);
      co_return;
    }
  }
};

rt::task<void> run_scripted(scripted_server* server, stun::binding_options o, rt::result<stun::binding>* out) {
  auto client = *net::udp_socket::bind(net::socket_address::ipv4_loopback(0));
  rt::task_scope scope{rt::no_parent};
  scope.spawn(server->serve(rt::clock::now() + o.deadline + 200ms));
  *out = co_await stun::bind_once(client, *server->sock.local_address(), o);
  co_await scope.join();
}

}  // namespace

BROOD_RT_TEST(retransmits_until_answered_and_ignores_strangers) {
  scripted_server server;
  server.answer_on = 3;
  stun::binding_options o{50ms, 7, 3000ms};
  rt::result<stun::binding> b = std::errc::io_error;
  co_await run_scripted(&server, o, &b);
  BOOST_REQUIRE_MESSAGE(b.has_value(), b.error().message());
  BOOST_TEST(b->reflexive.to_string() == "203.0.113.9:4242");
  BOOST_TEST(b->transmissions == 3u);
  BOOST_TEST(server.requests == 3u);
  BOOST_TEST(server.identical);  // a retransmission is the same request
}

BROOD_RT_TEST(a_silent_server_times_out_after_every_transmission) {
  scripted_server server;  // never answers
  stun::binding_options o{20ms, 4, 1000ms};
  rt::result<stun::binding> b = std::errc::io_error;
  co_await run_scripted(&server, o, &b);
  BOOST_TEST((b.error() == std::errc::timed_out));
  BOOST_TEST(server.requests == 4u);  // at 0, 20, 60 and 140 ms; then waits for the deadline
}

BROOD_RT_TEST(an_error_response_is_an_error) {
  scripted_server server;
  server.answer_on = 1;
  server.answer_type = 0x0111;  // Binding error response (no ERROR-CODE: still an error)
  rt::result<stun::binding> b = std::errc::io_error;
  const stun::binding_options o{50ms, 3, 1000ms};
  co_await run_scripted(&server, o, &b);
  BOOST_TEST((b.error() == stun::error::error_response));
}

BROOD_RT_TEST(coturn_on_loopback_both_families) {
  scratch s;
  const auto port = test::free_port();
  test::peer_process coturn;
  const auto argv = coturn_argv(s.dir, port, {"127.0.0.1", "127.0.0.2", "::1"});
  bool up = co_await coturn.start(argv, port);
  if (!up) BROOD_SKIP("coturn (turnserver) did not start");
  const std::vector<net::socket_address> both{addr("127.0.0.1:" + std::to_string(port)),
                                              addr("[::1]:" + std::to_string(port))};
  auto d = co_await stun::discover(both);
  // IPv4: coturn has two addresses, so it names the other one (RFC 5780) and both are asked.
  BOOST_TEST(d.v4.failures.empty());
  BOOST_REQUIRE(d.v4.bindings.size() == 2u);
  BOOST_TEST(d.v4.bindings[1].server.to_string() == "127.0.0.2:" + std::to_string(port + 1));
  BOOST_TEST(d.v4.reflexive()->to_string().starts_with("127.0.0.1:"));
  BOOST_TEST((d.v4.bindings[0].reflexive == d.v4.bindings[1].reflexive));
  BOOST_TEST(stun::to_string(d.v4.behaviour) == std::string_view("endpoint-independent"));
  // IPv6: one address, so coturn names its alternate port as the other address.
  BOOST_TEST(d.v6.failures.empty());
  BOOST_REQUIRE(d.v6.bindings.size() == 2u);
  BOOST_TEST(d.v6.bindings[1].server.to_string() == "[::1]:" + std::to_string(port + 1));
  BOOST_TEST(d.v6.reflexive()->to_string().starts_with("[::1]:"));
  BOOST_TEST(stun::to_string(d.v6.behaviour) == std::string_view("endpoint-independent"));
  auto eps = d.endpoints(51820);
  BOOST_REQUIRE(eps.size() == 2u);
  BOOST_TEST(eps[0].to_string() == "127.0.0.1:51820");
  BOOST_TEST(eps[1].to_string() == "[::1]:51820");
  co_await coturn.stop();

  // A server without an other address, asked alone: the mapping stays unknown.
  test::peer_process single;
  const auto single_argv = coturn_argv(s.dir, port, {"127.0.0.1"});
  BOOST_REQUIRE(co_await single.start(single_argv, port));
  const std::vector<net::socket_address> v4_only{addr("127.0.0.1:" + std::to_string(port))};
  auto one = co_await stun::discover(v4_only);
  BOOST_REQUIRE(one.v4.bindings.size() == 1u);
  BOOST_TEST(!one.v4.bindings[0].other_address);
  BOOST_TEST(stun::to_string(one.v4.behaviour) == std::string_view("unknown"));
  BOOST_TEST(one.v6.bindings.empty());
  BOOST_TEST(one.endpoints(51820).size() == 1u);
  co_await single.stop();

  // A server that is gone: a failure for its family, the other family unaffected.
  const stun::binding_options quick{20ms, 2, 300ms};
  auto gone = co_await stun::discover(v4_only, quick);
  BOOST_TEST(gone.v4.bindings.empty());
  BOOST_REQUIRE(gone.v4.failures.size() == 1u);
  BOOST_TEST((gone.v4.failures[0].second == std::errc::timed_out));
  BOOST_TEST(gone.v6.failures.empty());
  BOOST_TEST(gone.endpoints(51820).empty());
}

namespace {
/// The client's view through the NAT: a socket made inside the client namespace, probing coturn.
rt::task<stun::family_report> probe_from(test::netns_lab& lab, std::uint16_t port) {
  rt::result<net::udp_socket> sock = std::errc::io_error;
  {
    test::in_netns in(lab.name("c"));
    BOOST_REQUIRE(in.ok());
    sock = net::udp_socket::bind(net::socket_address::ipv4_any(0));
  }
  BOOST_REQUIRE(sock.has_value());
  const std::vector<net::socket_address> server{addr("10.98.2.2:" + std::to_string(port))};
  co_return co_await stun::probe(*sock, AF_INET, server);
}
}  // namespace

BROOD_RT_TEST(the_mapping_behind_a_nat) {
  if (!test::netns_lab::available()) BROOD_SKIP("needs root and ip netns");
  scratch s;
  test::netns_lab lab("bst");
  const auto c = lab.name("c"), r = lab.name("r"), w = lab.name("w");
  BOOST_REQUIRE(co_await lab.add("c"));
  BOOST_REQUIRE(co_await lab.add("r"));
  BOOST_REQUIRE(co_await lab.add("w"));
  // client 10.98.1.2 → router (masquerades to 10.98.2.1) → coturn on 10.98.2.2 and 10.98.2.3.
  BOOST_REQUIRE(co_await lab.sh(
      "set -e; ip link add eth0 netns " + c + " type veth peer name lan netns " + r +
      "; ip link add eth0 netns " + w + " type veth peer name wan netns " + r +
      "; ip -n " + c + " addr add 10.98.1.2/24 dev eth0; ip -n " + c + " link set eth0 up" +
      "; ip -n " + c + " route add default via 10.98.1.1" +
      "; ip -n " + r + " addr add 10.98.1.1/24 dev lan; ip -n " + r + " addr add 10.98.2.1/24 dev wan" +
      "; ip -n " + r + " link set lan up; ip -n " + r + " link set wan up" +
      "; ip netns exec " + r + " sysctl -qw net.ipv4.ip_forward=1" +
      "; ip -n " + w + " addr add 10.98.2.2/24 dev eth0; ip -n " + w + " addr add 10.98.2.3/24 dev eth0" +
      "; ip -n " + w + " link set eth0 up" +
      "; ip netns exec " + r + " nft add table ip nat" +
      "; ip netns exec " + r + " nft add chain ip nat post '{ type nat hook postrouting priority 100; }'" +
      "; ip netns exec " + r + " nft add rule ip nat post oifname wan masquerade"));
  const std::uint16_t port = 3478;
  rt::process_options po;
  po.in = po.out = po.err = rt::process_options::stdio::null;
  auto args = coturn_argv(s.dir, port, {"10.98.2.2", "10.98.2.3"});
  args.insert(args.begin(), {"setpriv", "--pdeathsig", "KILL", "--", "ip", "netns", "exec", w});
  auto coturn = rt::process::spawn(args, po);
  BOOST_REQUIRE(coturn.has_value());

  // Plain masquerade keeps the client's port: the same mapping towards both coturn addresses.
  auto plain = co_await probe_from(lab, port);
  BOOST_TEST(plain.failures.empty());
  BOOST_REQUIRE(plain.bindings.size() == 2u);
  BOOST_TEST(plain.reflexive()->to_string().starts_with("10.98.2.1:"), plain.reflexive()->to_string());
  BOOST_TEST(stun::to_string(plain.behaviour) == std::string_view("endpoint-independent"));

  // `masquerade random` draws a port per flow: a mapping per destination.
  BOOST_REQUIRE(co_await lab.sh("set -e; ip netns exec " + r + " nft flush chain ip nat post; ip netns exec " + r +
                                " nft add rule ip nat post oifname wan masquerade random"));
  auto random = co_await probe_from(lab, port);
  BOOST_REQUIRE(random.bindings.size() == 2u);
  BOOST_TEST(random.reflexive()->to_string().starts_with("10.98.2.1:"));
  BOOST_TEST(stun::to_string(random.behaviour) == std::string_view("endpoint-dependent"),
             random.bindings[0].reflexive.to_string() << " vs " << random.bindings[1].reflexive.to_string());

  (void)coturn->kill(SIGTERM);
  (void)co_await coturn->wait();
}

BOOST_AUTO_TEST_SUITE_END()
