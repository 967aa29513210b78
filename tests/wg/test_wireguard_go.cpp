// The UAPI backend against real wireguard-go: two lab nodes (network + mount namespaces, a veth
// underlay), configured only through wg::backend; traffic crosses wg0, the device reads back
// as planned, a removed peer is gone, and a deleted interface reads as no_such_device.
#include <brood/wg/backend.hpp>

#include "support/netns.hpp"
#include "support/rt_test.hpp"
#include "support/wg_node.hpp"

#include <brood/crypto/identity.hpp>

#include <filesystem>

using namespace brood;

BOOST_AUTO_TEST_SUITE(wireguard_go)

namespace {
wg::key wg_private(const crypto::identity& id) {
  auto raw = crypto::from_base64(id.wireguard_private_base64());
  wg::key k{};
  std::memcpy(k.data(), raw->data(), k.size());
  return k;
}
crypto::identity node_id(std::uint8_t b) {
  std::array<std::uint8_t, 32> seed;
  seed.fill(b);
  return crypto::identity::from_seed(seed);
}
}  // namespace

static rt::task<void> two_nodes() {
  if (!test::netns_lab::available()) BROOD_SKIP("needs root and ip netns");
  if (std::system("command -v wireguard-go >/dev/null") != 0) BROOD_SKIP("wireguard-go is not installed");
  test::netns_lab lab("bwg");
  const std::string scratch = "/tmp/brood-wg-" + std::to_string(::getpid());
  struct cleanup {
    std::string d;
    ~cleanup() { std::filesystem::remove_all(d); }
  } rm{scratch};
  BOOST_REQUIRE(co_await lab.add("a"));
  BOOST_REQUIRE(co_await lab.add("b"));
  const auto a = lab.name("a"), b = lab.name("b");
  BOOST_REQUIRE(co_await lab.sh("set -e; ip link add eth0 netns " + a + " type veth peer name eth0 netns " + b +
                                "; ip -n " + a + " addr add 10.99.0.1/24 dev eth0; ip -n " + a + " link set eth0 up" +
                                "; ip -n " + b + " addr add 10.99.0.2/24 dev eth0; ip -n " + b + " link set eth0 up"));
  test::wg_node na, nb;
  BOOST_REQUIRE(co_await na.start(a, scratch + "/a"));
  BOOST_REQUIRE(co_await nb.start(b, scratch + "/b"));

  const auto ida = node_id(1), idb = node_id(2);
  auto ba = wg::make_uapi_backend({"wg0", na.uapi_dir(), std::chrono::milliseconds(2000)});
  auto bb = wg::make_uapi_backend({"wg0", nb.uapi_dir(), std::chrono::milliseconds(2000)});
  BOOST_TEST(ba->kind() == "wireguard-go");

  auto plan = [&](const crypto::identity& self, const crypto::identity& other, const char* other_ep,
                  const char* other_ip) {
    wg::device d;
    d.private_key = wg_private(self);
    d.listen_port = 51820;
    wg::peer p;
    p.public_key = *crypto::wireguard_public_key(other.pk());
    p.endpoint = *net::socket_address::parse(other_ep);
    p.allowed_ips = {*net::ip_prefix::parse(other_ip)};
    p.keepalive = 25;
    d.peers.push_back(p);
    return d;
  };
  const auto want_a = plan(ida, idb, "10.99.0.2:51820", "10.100.0.2/32");
  const auto want_b = plan(idb, ida, "10.99.0.1:51820", "10.100.0.1/32");
  for (auto [be, want] : {std::pair{ba.get(), &want_a}, std::pair{bb.get(), &want_b}}) {
    auto cur = co_await be->get();
    BOOST_REQUIRE_MESSAGE(cur.has_value(), cur.error().message());
    BOOST_TEST(cur->peers.empty());
    auto c = wg::diff(*cur, *want);
    BOOST_TEST((c.private_key.has_value() && c.listen_port.has_value() && c.set_peers.size() == 1u));
    auto applied = co_await be->apply(c);
    BOOST_REQUIRE_MESSAGE(applied.has_value(), applied.error().message());
  }
  BOOST_REQUIRE(co_await lab.sh("set -e; ip -n " + a + " addr add 10.100.0.1/24 dev wg0; ip -n " + a +
                                " link set wg0 up; ip -n " + b + " addr add 10.100.0.2/24 dev wg0; ip -n " + b +
                                " link set wg0 up"));
  BOOST_TEST(co_await lab.sh("ip netns exec " + a + " ping -c1 -W2 -q 10.100.0.2 >/dev/null"));

  // Read back: what was planned, now with a handshake and traffic; nothing left to change.
  auto got = co_await ba->get();
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(wg::diff(*got, want_a).empty());
  BOOST_REQUIRE(got->peers.size() == 1u);
  BOOST_TEST(got->peers[0].last_handshake_ns > 0);
  BOOST_TEST(got->peers[0].rx_bytes > 0u);

  // Removing the peer: gone, and the ping fails.
  wg::device none = want_a;
  none.peers.clear();
  auto rm_peer = co_await ba->apply(wg::diff(*got, none));
  BOOST_REQUIRE(rm_peer.has_value());
  got = co_await ba->get();
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(got->peers.empty());
  BOOST_TEST(!co_await lab.sh("ip netns exec " + a + " ping -c1 -W1 -q 10.100.0.2 >/dev/null"));

  // A bad change is the device's error, not a silent success.
  wg::device_change bad;
  wg::peer p;
  p.public_key = *crypto::wireguard_public_key(idb.pk());
  p.allowed_ips = {*net::ip_prefix::parse("10.100.0.2/32")};
  p.allowed_ips[0].length = 99;  // no such prefix length
  bad.set_peers.push_back(p);
  BOOST_TEST(!(co_await ba->apply(bad)).has_value());

  // wg0 deleted by hand: wireguard-go exits and the device reads as missing.
  const std::vector<std::string> del_wg0{"ip", "-n", a, "link", "del", "wg0"};
  BOOST_REQUIRE(co_await lab.run(del_wg0));
  (void)co_await na.wireguard_go->wait();
  na.wireguard_go.reset();
  auto missing = co_await ba->get();
  BOOST_TEST((missing.error() == std::errc::no_such_device), missing.error().message());

  co_await na.stop();
  co_await nb.stop();
}

BROOD_RT_TEST(two_nodes_configured_through_uapi) { co_await two_nodes(); }

BROOD_RT_TEST(the_kernel_family_is_detected_or_refused) {
  // This machine kind has no WireGuard module: the family is unknown and detect() falls back.
  const wg::backend_options defaults;
  auto k = co_await wg::make_kernel_backend(defaults);
  if (k) {
    BOOST_TEST((*k)->kind() == "kernel");
  } else {
    BOOST_TEST((k.error() == std::errc::not_supported), k.error().message());
  }
  auto d = co_await wg::detect(defaults);
  BOOST_TEST(d->kind() == (k ? "kernel" : "wireguard-go"));
}

BOOST_AUTO_TEST_SUITE_END()
