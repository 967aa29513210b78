// The kernel backend against a real kernel WireGuard (run by tools/kernel-vm in a guest booting
// Debian's kernel; skipped where the genl family "wireguard" is missing, failed instead when
// BROOD_KERNEL_WG=required): wg0 created through rtnl and read back as set, also by `wg show`;
// peers changed by difference with the untouched ones keeping their sessions; hundreds of peers
// and one with thousands of allowed IPs, split across messages both ways; a peer removed and
// wg0 deleted by hand; three namespaces meshed over kernel WireGuard and pinging.
#include <brood/wg/backend.hpp>

#include "support/netns.hpp"
#include "support/rt_test.hpp"

#include <brood/crypto/identity.hpp>
#include <brood/netlink/address.hpp>
#include <brood/netlink/socket.hpp>
#include <brood/rt/timer.hpp>
#include <brood/wg/genl.hpp>

#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

using namespace brood;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(wg_kernel)

namespace {

net::ip_prefix ip(const std::string& s) { return *net::ip_prefix::parse(s); }
net::socket_address ep(const std::string& s) { return *net::socket_address::parse(s); }

crypto::identity node_id(std::uint8_t b) {
  std::array<std::uint8_t, 32> seed;
  seed.fill(b);
  return crypto::identity::from_seed(seed);
}
wg::key private_of(const crypto::identity& id) {
  auto raw = crypto::from_base64(id.wireguard_private_base64());
  wg::key k{};
  std::memcpy(k.data(), raw->data(), k.size());
  return k;
}
/// A peer key that no device here owns (the kernel takes any 32 bytes as a peer's key).
wg::key synthetic_key(int i) {
  wg::key k;
  k.fill(0x5a);
  k[0] = static_cast<std::uint8_t>(i);
  k[1] = static_cast<std::uint8_t>(i >> 8);
  return k;
}
std::string b64(const wg::key& k) { return crypto::base64(k); }

std::vector<net::ip_prefix> sorted(std::vector<net::ip_prefix> v) {
  std::sort(v.begin(), v.end());
  return v;
}

/// Fails the test (BOOST_REQUIRE) unless `got` holds every peer of `want` with the same
/// endpoint, keepalive and allowed IPs, and nothing else.
void require_same_peers(const wg::device& got, const wg::device& want) {
  BOOST_REQUIRE_EQUAL(got.peers.size(), want.peers.size());
  for (auto& w : want.peers) {
    const wg::peer* g = got.find(w.public_key);
    BOOST_REQUIRE_MESSAGE(g, "peer " << b64(w.public_key) << " is missing");
    BOOST_TEST((g->endpoint == w.endpoint), b64(w.public_key) << " endpoint "
                                                << (g->endpoint ? g->endpoint->to_string() : "none"));
    BOOST_TEST(g->keepalive == w.keepalive);
    BOOST_TEST((sorted(g->allowed_ips) == sorted(w.allowed_ips)),
               b64(w.public_key) << ": " << g->allowed_ips.size() << " allowed IPs, " << w.allowed_ips.size()
                                 << " planned");
  }
}

/// Skips the test where this kernel has no WireGuard (or no namespaces may be made); inside
/// tools/kernel-vm a missing family is a failure.
rt::task<void> require_kernel_wireguard() {
  if (!test::netns_lab::available()) BROOD_SKIP("needs root and ip netns");
  const wg::backend_options defaults;
  auto k = co_await wg::make_kernel_backend(defaults);
  if (k) co_return;
  const char* req = std::getenv("BROOD_KERNEL_WG");
  if (req && std::string(req) == "required")
    BOOST_FAIL("no kernel WireGuard where it is required: " << k.error().message());
  BROOD_SKIP("this kernel has no WireGuard (no genl family \"wireguard\")");
}

/// A command's standard output ("" if it failed).
rt::task<std::string> output_of(std::string line) {
  const std::string file = "/tmp/brood-kwg-" + std::to_string(::getpid()) + ".out";
  const bool ok = co_await test::netns_lab::sh(line + " >" + file);
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  std::remove(file.c_str());
  co_return ok ? s.str() : std::string();
}

/// `wg show wg0 dump` in `ns`, by public key: the peer's tab-separated fields (endpoint,
/// allowed IPs, ..., keepalive), and "" for the device's own line.
rt::task<std::map<std::string, std::vector<std::string>>> wg_dump(std::string ns) {
  auto text = co_await output_of("ip netns exec " + ns + " wg show wg0 dump");
  std::map<std::string, std::vector<std::string>> out;
  std::istringstream lines(text);
  std::string line;
  bool first = true;
  while (std::getline(lines, line)) {
    std::vector<std::string> f;
    std::istringstream fields(line);
    std::string x;
    while (std::getline(fields, x, '\t')) f.push_back(x);
    out[first ? std::string() : f.at(0)] = f;
    first = false;
  }
  co_return out;
}

/// One network namespace with a kernel wg0, driven through wg::backend and rtnl only. Every
/// call runs with the thread in the namespace: the backend opens its sockets per call.
struct node {
  std::string ns;
  std::unique_ptr<wg::backend> wg;

  rt::task<void> open(std::string full_ns) {
    ns = std::move(full_ns);
    const wg::backend_options o{"wg0", "", 2000ms};
    auto k = co_await wg::make_kernel_backend(o);
    BOOST_REQUIRE_MESSAGE(k.has_value(), k.error().message());
    wg = std::move(*k);
  }
  rt::task<rt::result<void>> create() {
    test::in_netns in(ns);
    BOOST_REQUIRE(in.ok());
    auto r = co_await netlink::create_link("wg0", "wireguard");
    co_return r;
  }
  rt::task<rt::result<wg::device>> get() {
    test::in_netns in(ns);
    BOOST_REQUIRE(in.ok());
    auto d = co_await wg->get();
    co_return d;
  }
  rt::task<rt::result<void>> apply(wg::device_change c) {
    test::in_netns in(ns);
    BOOST_REQUIRE(in.ok());
    auto r = co_await wg->apply(c);
    co_return r;
  }
  /// The device read back, required to be there.
  rt::task<wg::device> read() {
    auto d = co_await get();
    BOOST_REQUIRE_MESSAGE(d.has_value(), ns << ": " << d.error().message());
    co_return std::move(*d);
  }
  /// Makes the device `want` by difference; returns the change that was applied.
  rt::task<wg::device_change> converge(wg::device want) {
    auto cur = co_await read();
    auto c = wg::diff(cur, want);
    auto r = co_await apply(c);
    BOOST_REQUIRE_MESSAGE(r.has_value(), ns << ": apply: " << r.error().message());
    co_return c;
  }
  /// wg0 carrying `address`, MTU 1420, up — through rtnl.
  rt::task<void> link_up(net::ip_prefix address) {
    test::in_netns in(ns);
    BOOST_REQUIRE(in.ok());
    auto l = co_await netlink::get_link("wg0");
    BOOST_REQUIRE_MESSAGE(l.has_value(), l.error().message());
    const std::vector<net::ip_prefix> wanted{address};
    auto c = co_await netlink::converge_link(l->index, wanted, 1420);
    BOOST_REQUIRE_MESSAGE(c.has_value(), c.error().message());
  }
};

rt::task<bool> ping(const std::string& ns, const std::string& to, int wait_s = 5) {
  co_return co_await test::netns_lab::sh("ip netns exec " + ns + " ping -c1 -W" + std::to_string(wait_s) + " -q " +
                                         to + " >/dev/null 2>&1");
}

}  // namespace

// wg0 made through rtnl, then the device read back exactly as planned, by brood and by `wg`.
static rt::task<void> device_read_back() {
  co_await require_kernel_wireguard();
  test::netns_lab lab("bkw");
  const bool added = co_await lab.add("a");
  BOOST_REQUIRE(added);
  node a;
  co_await a.open(lab.name("a"));
  BOOST_TEST(a.wg->kind() == "kernel");

  auto missing = co_await a.get();
  BOOST_TEST((missing.error() == std::errc::no_such_device), missing.error().message());
  auto made = co_await a.create();
  BOOST_REQUIRE_MESSAGE(made.has_value(), made.error().message());
  {
    test::in_netns in(a.ns);
    auto l = co_await netlink::get_link("wg0");
    BOOST_REQUIRE(l.has_value());
    BOOST_TEST(l->kind == "wireguard");
    auto again = co_await netlink::create_link("wg0", "wireguard");
    BOOST_TEST((again.error() == std::errc::file_exists));
    // What the agent runs: detect() finds the kernel family.
    const wg::backend_options o{"wg0", "/nonexistent", 2000ms};
    auto d = co_await wg::detect(o);
    BOOST_TEST(d->kind() == "kernel");
  }

  auto fresh = co_await a.read();
  BOOST_TEST(!fresh.private_key.has_value());
  BOOST_TEST(fresh.peers.empty());

  const auto self = node_id(1);
  wg::device want;
  want.private_key = private_of(self);
  want.listen_port = 51820;
  auto add = [&](int i, std::optional<std::string> endpoint, std::vector<std::string> ips, std::uint16_t ka) {
    wg::peer p;
    p.public_key = synthetic_key(i);
    if (endpoint) p.endpoint = ep(*endpoint);
    for (auto& s : ips) p.allowed_ips.push_back(ip(s));
    p.keepalive = ka;
    want.peers.push_back(p);
  };
  add(1, "192.0.2.1:51820", {"10.100.0.1/32", "fd00:100::1/128"}, 25);
  add(2, "[2001:db8::2]:51821", {"10.100.0.2/32", "10.110.0.0/16", "fd00:110::/64"}, 0);
  add(3, std::nullopt, {}, 7);
  auto c = co_await a.converge(want);
  BOOST_TEST((c.private_key.has_value() && c.listen_port.has_value()));
  BOOST_TEST(c.set_peers.size() == 3u);

  auto got = co_await a.read();
  BOOST_TEST((got.private_key == want.private_key));
  BOOST_TEST(got.listen_port == 51820);
  require_same_peers(got, want);
  for (auto& p : got.peers) {
    BOOST_TEST(p.last_handshake_ns == 0);
    BOOST_TEST(p.rx_bytes == 0u);
  }
  BOOST_TEST(wg::diff(got, want).empty());

  // The same device as wireguard-tools reads it.
  auto dump = co_await wg_dump(a.ns);
  BOOST_REQUIRE_EQUAL(dump.size(), 4u);
  BOOST_TEST(dump[""].at(0) == self.wireguard_private_base64());
  BOOST_TEST(dump[""].at(1) == self.wireguard_public_base64());
  BOOST_TEST(dump[""].at(2) == "51820");
  BOOST_TEST(dump[b64(synthetic_key(1))].at(2) == "192.0.2.1:51820");
  BOOST_TEST(dump[b64(synthetic_key(1))].at(7) == "25");
  BOOST_TEST(dump[b64(synthetic_key(2))].at(2) == "[2001:db8::2]:51821");
  BOOST_TEST(dump[b64(synthetic_key(2))].at(7) == "off");
  BOOST_TEST(dump[b64(synthetic_key(3))].at(2) == "(none)");
  BOOST_TEST(dump[b64(synthetic_key(3))].at(3) == "(none)");
  auto ips2 = dump[b64(synthetic_key(2))].at(3);
  for (auto* s : {"10.100.0.2/32", "10.110.0.0/16", "fd00:110::/64"})
    BOOST_TEST(ips2.find(s) != std::string::npos, ips2);
}

BROOD_RT_TEST(device_created_through_rtnl_reads_back_as_set) { co_await device_read_back(); }

// The kernel keeps networks, not addresses: 10.120.1.7/24 is stored as 10.120.1.0/24. A plan
// that says it the first way must still read back as done, or every sync would rewrite it.
static rt::task<void> host_bits() {
  co_await require_kernel_wireguard();
  test::netns_lab lab("bkh");
  const bool added = co_await lab.add("a");
  BOOST_REQUIRE(added);
  node a;
  co_await a.open(lab.name("a"));
  auto made = co_await a.create();
  BOOST_REQUIRE(made.has_value());
  wg::device want;
  wg::peer p;
  p.public_key = synthetic_key(9);
  p.allowed_ips = {ip("10.120.1.7/24"), ip("fd00:120::7/64"), ip("10.121.0.9/32")};
  want.peers.push_back(p);
  co_await a.converge(want);
  auto got = co_await a.read();
  BOOST_REQUIRE_EQUAL(got.peers.size(), 1u);
  BOOST_TEST((sorted(got.peers[0].allowed_ips) ==
              sorted({ip("10.120.1.0/24"), ip("fd00:120::/64"), ip("10.121.0.9/32")})));
  BOOST_TEST(wg::diff(got, want).empty(), "a second sync would change the peer again");
}

BROOD_RT_TEST(allowed_ips_with_host_bits_read_back_as_done) { co_await host_bits(); }

// Hundreds of peers, and one peer with more allowed IPs than fit in a netlink attribute: both
// split across messages on the way in (set_device_requests) and on the way out (the kernel's
// dump), and read back intact.
static rt::task<void> many_peers() {
  co_await require_kernel_wireguard();
  test::netns_lab lab("bkm");
  const bool added = co_await lab.add("a");
  BOOST_REQUIRE(added);
  node a;
  co_await a.open(lab.name("a"));
  auto made = co_await a.create();
  BOOST_REQUIRE(made.has_value());

  constexpr int n = 320;
  constexpr int big_ips = 3000;
  wg::device want;
  want.private_key = private_of(node_id(2));
  want.listen_port = 51900;
  for (int i = 0; i < n; ++i) {
    wg::peer p;
    p.public_key = synthetic_key(i);
    const std::string hi = std::to_string(i >> 6), lo = std::to_string((i & 63) * 4);
    p.endpoint = i % 2 ? ep("192.0.2." + std::to_string(i % 250 + 1) + ":" + std::to_string(40000 + i))
                       : ep("[2001:db8::" + std::to_string(i) + "]:" + std::to_string(40000 + i));
    p.allowed_ips = {ip("10.64." + hi + "." + lo + "/32"), ip("10.65." + hi + "." + lo + "/30"),
                     ip("fd00:64::" + std::to_string(i) + "/128"), ip("fd00:65:" + std::to_string(i) + "::/64")};
    p.keepalive = static_cast<std::uint16_t>(i % 3 == 0 ? 0 : 10 + i % 50);
    want.peers.push_back(p);
  }
  wg::peer big;
  big.public_key = synthetic_key(5000);
  big.endpoint = ep("192.0.2.254:51820");
  for (int i = 0; i < big_ips / 2; ++i) {
    big.allowed_ips.push_back(ip("172.16." + std::to_string(i >> 8) + "." + std::to_string(i & 255) + "/32"));
    big.allowed_ips.push_back(ip("fd00:99::" + std::to_string(i) + "/128"));
  }
  want.peers.push_back(big);

  auto msgs = wg::genl::set_device_requests(1, "wg0", wg::diff({}, want), 1);
  BOOST_TEST(msgs.size() >= 5u, msgs.size() << " messages");
  for (auto& m : msgs) BOOST_TEST(m.size() <= 32768u);

  auto t0 = std::chrono::steady_clock::now();
  co_await a.converge(want);
  auto got = co_await a.read();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  BOOST_TEST_MESSAGE(n + 1 << " peers set and read back in " << took.count() << " ms");
  require_same_peers(got, want);
  BOOST_TEST(wg::diff(got, want).empty());
  auto lines = co_await output_of("ip netns exec " + a.ns + " wg show wg0 allowed-ips | tr ' \\t' '\\n\\n' | grep -cE '^[0-9a-f.:]+/[0-9]+$'");
  BOOST_TEST(std::atoi(lines.c_str()) == n * 4 + big_ips, lines);

  // One peer changed among hundreds: the change names only it.
  want.peers[17].allowed_ips.push_back(ip("10.66.0.17/32"));
  want.peers[17].keepalive = 3;
  auto c = co_await a.converge(want);
  BOOST_REQUIRE_EQUAL(c.set_peers.size(), 1u);
  BOOST_TEST((c.set_peers[0].public_key == synthetic_key(17)));
  BOOST_TEST(c.remove_peers.empty());
  got = co_await a.read();
  require_same_peers(got, want);

  // The kernel marks a dump that the device changed under (NLM_F_DUMP_INTR): such a read is
  // refused, not taken as the device.
  {
    test::in_netns in(a.ns);
    BOOST_REQUIRE(in.ok());
    auto s = netlink::socket::open(NETLINK_GENERIC);
    BOOST_REQUIRE(s.has_value());
    std::uint16_t family = 0;
    auto take_family = [&family](std::span<const std::uint8_t> m, std::uint16_t) -> rt::result<bool> {
      auto f = wg::genl::parse_family_reply(m);
      if (!f) return f.error();
      family = *f;
      return true;
    };
    const auto ask = wg::genl::get_family_request(1);
    auto found = co_await s->exchange(ask, rt::io_options{rt::clock::now() + 2s}, take_family);
    BOOST_REQUIRE(found.has_value());
    // The dump read one datagram at a time, the device changed between two of them.
    const auto dump = wg::genl::get_device_request(family, "wg0", 2);
    BOOST_REQUIRE(::send(s->fd(), dump.data(), dump.size(), 0) == static_cast<ssize_t>(dump.size()));
    wg::device partial;
    bool done = false, intr = false, refused = false;
    auto take_part = [&](std::span<const std::uint8_t> m, std::uint16_t type) -> rt::result<bool> {
      if (type == NLMSG_DONE) done = true;
      if (type != family) return false;
      nlmsghdr h;
      std::memcpy(&h, m.data(), sizeof h);
      intr = intr || (h.nlmsg_flags & NLM_F_DUMP_INTR);
      auto p = wg::genl::parse_device_reply(m, partial);
      if (!p) {
        refused = true;
        BOOST_TEST((p.error() == std::errc::interrupted), p.error().message());
      }
      return false;
    };
    wg::device toggle = want;
    for (int i = 0; i < 200 && !done; ++i) {
      auto r = co_await s->receive(rt::io_options{rt::clock::now() + 2s}, take_part);
      BOOST_REQUIRE_MESSAGE(r.has_value(), r.error().message());
      toggle.peers[1].keepalive = static_cast<std::uint16_t>(100 + i);
      const auto change = wg::diff(want, toggle);
      auto changed = co_await a.wg->apply(change);
      BOOST_REQUIRE(changed.has_value());
    }
    BOOST_TEST(done);
    BOOST_TEST(intr, "the kernel did not mark the dump as interrupted");
    BOOST_TEST(refused);
    // With the device left alone, a read through the backend gets all of it.
    auto whole = co_await a.wg->get();
    BOOST_REQUIRE(whole.has_value());
    BOOST_TEST(whole->peers.size() == want.peers.size());
  }
  // Everyone removed by difference: many removals, split too.
  const wg::device none{want.private_key, want.listen_port, {}};
  c = co_await a.converge(none);
  BOOST_TEST(c.remove_peers.size() == want.peers.size());
  got = co_await a.read();
  BOOST_TEST(got.peers.empty());
  BOOST_TEST((got.private_key == want.private_key));
}

BROOD_RT_TEST(many_peers_split_across_messages_read_back_intact) { co_await many_peers(); }

// A peer removed by hand is missing from the device and put back by the difference; a wg0
// deleted by hand reads as no_such_device (get, apply, rtnl) until it is made again.
static rt::task<void> by_hand() {
  co_await require_kernel_wireguard();
  test::netns_lab lab("bkd");
  const bool added = co_await lab.add("a");
  BOOST_REQUIRE(added);
  node a;
  co_await a.open(lab.name("a"));
  auto made = co_await a.create();
  BOOST_REQUIRE(made.has_value());
  wg::device want;
  want.private_key = private_of(node_id(3));
  want.listen_port = 51820;
  for (int i : {1, 2}) {
    wg::peer p;
    p.public_key = synthetic_key(i);
    p.endpoint = ep("192.0.2." + std::to_string(i) + ":51820");
    p.allowed_ips = {ip("10.130.0." + std::to_string(i) + "/32")};
    want.peers.push_back(p);
  }
  co_await a.converge(want);

  const bool removed = co_await lab.sh("ip netns exec " + a.ns + " wg set wg0 peer " + b64(synthetic_key(2)) + " remove");
  BOOST_REQUIRE(removed);
  auto got = co_await a.read();
  BOOST_REQUIRE_EQUAL(got.peers.size(), 1u);
  BOOST_TEST((got.peers[0].public_key == synthetic_key(1)));
  auto c = wg::diff(got, want);
  BOOST_REQUIRE_EQUAL(c.set_peers.size(), 1u);
  BOOST_TEST((c.set_peers[0].public_key == synthetic_key(2)));
  BOOST_TEST((!c.private_key && !c.listen_port && c.remove_peers.empty()));
  auto r = co_await a.apply(c);
  BOOST_REQUIRE(r.has_value());
  got = co_await a.read();
  require_same_peers(got, want);

  const bool deleted = co_await lab.sh("ip -n " + a.ns + " link del wg0");
  BOOST_REQUIRE(deleted);
  auto gone = co_await a.get();
  BOOST_TEST((gone.error() == std::errc::no_such_device), gone.error().message());
  const auto everything = wg::diff({}, want);
  auto lost = co_await a.apply(everything);
  BOOST_TEST((lost.error() == std::errc::no_such_device), lost.error().message());
  {
    test::in_netns in(a.ns);
    auto l = co_await netlink::get_link("wg0");
    BOOST_TEST((l.error() == std::errc::no_such_device));
  }
  made = co_await a.create();
  BOOST_REQUIRE(made.has_value());
  auto fresh = co_await a.read();
  BOOST_TEST(fresh.peers.empty());
  co_await a.converge(want);
  got = co_await a.read();
  require_same_peers(got, want);
  BOOST_TEST((got.private_key == want.private_key));
}

BROOD_RT_TEST(peer_removed_and_wg0_deleted_by_hand) { co_await by_hand(); }

// Three namespaces on one bridge (IPv4 and IPv6 underlay), meshed over kernel WireGuard set up
// through wg::backend and rtnl alone; every pair pings. Then node a's peers change by
// difference: the untouched peer keeps its session (same handshake, traffic without a new
// one), a changed peer keeps its own, a new one comes, and removed ones stop carrying traffic.
static rt::task<void> mesh() {
  co_await require_kernel_wireguard();
  test::netns_lab lab("bkx");
  const bool hub = co_await lab.add("sw");
  BOOST_REQUIRE(hub);
  const auto sw = lab.name("sw");
  const bool bridge = co_await lab.sh("set -e; ip -n " + sw + " link add br0 type bridge; ip -n " + sw + " link set br0 up");
  BOOST_REQUIRE(bridge);
  const std::vector<std::string> names{"a", "b", "c"};
  std::vector<node> nodes(3);
  std::vector<crypto::identity> ids;
  for (int i = 0; i < 3; ++i) {
    const bool added = co_await lab.add(names[i]);
    BOOST_REQUIRE(added);
    const auto ns = lab.name(names[i]);
    const auto n = std::to_string(i + 1);
    const bool wired = co_await lab.sh("set -e; ip link add eth0 netns " + ns + " type veth peer name p" + n + " netns " +
                                  sw + "; ip -n " + sw + " link set p" + n + " master br0 up; ip -n " + ns +
                                  " addr add 10.201.0." + n + "/24 dev eth0; ip -n " + ns + " addr add fd01::" + n +
                                  "/64 dev eth0 nodad; ip -n " + ns + " link set eth0 up");
    BOOST_REQUIRE(wired);
    co_await nodes[i].open(ns);
    auto made = co_await nodes[i].create();
    BOOST_REQUIRE_MESSAGE(made.has_value(), made.error().message());
    ids.push_back(node_id(static_cast<std::uint8_t>(10 + i)));
  }
  auto overlay = [](int i) { return "10.202.0." + std::to_string(i + 1); };
  // b and c reach each other over IPv6, everyone else over IPv4.
  auto endpoint = [](int from, int to) {
    const auto n = std::to_string(to + 1);
    return from + to == 3 ? ep("[fd01::" + n + "]:51820") : ep("10.201.0." + n + ":51820");
  };
  std::vector<wg::device> plans(3);
  for (int i = 0; i < 3; ++i) {
    plans[i].private_key = private_of(ids[i]);
    plans[i].listen_port = 51820;
    for (int j = 0; j < 3; ++j) {
      if (i == j) continue;
      wg::peer p;
      p.public_key = *crypto::wireguard_public_key(ids[j].pk());
      p.endpoint = endpoint(i, j);
      p.allowed_ips = {ip(overlay(j) + "/32")};
      plans[i].peers.push_back(p);
    }
    co_await nodes[i].converge(plans[i]);
    co_await nodes[i].link_up(ip(overlay(i) + "/24"));
  }
  for (int i = 0; i < 3; ++i) {
    auto got = co_await nodes[i].read();
    require_same_peers(got, plans[i]);
  }
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      if (i != j) {
        const bool pinged = co_await ping(nodes[i].ns, overlay(j));
        BOOST_TEST(pinged, names[i] << " -> " << names[j]);
      }

  auto& a = nodes[0];
  const auto before = co_await a.read();
  const auto kb = plans[0].peers[0].public_key, kc = plans[0].peers[1].public_key;
  BOOST_REQUIRE(before.find(kb) && before.find(kc));
  BOOST_TEST(before.find(kb)->last_handshake_ns > 0);
  BOOST_TEST(before.find(kb)->rx_bytes > 0u);
  BOOST_TEST(before.find(kc)->last_handshake_ns > 0);

  // c changed (keepalive, one more network), d new, b untouched.
  wg::device next = plans[0];
  next.peers[1].keepalive = 20;
  next.peers[1].allowed_ips.push_back(ip("10.203.0.0/24"));
  wg::peer d;
  d.public_key = synthetic_key(77);
  d.endpoint = ep("10.201.0.9:51820");
  d.allowed_ips = {ip("10.202.0.9/32")};
  next.peers.push_back(d);
  auto c = co_await a.converge(next);
  BOOST_TEST(c.remove_peers.empty());
  BOOST_REQUIRE_EQUAL(c.set_peers.size(), 2u);
  BOOST_TEST((c.set_peers[0].public_key == kc && c.set_peers[1].public_key == d.public_key));
  auto after = co_await a.read();
  require_same_peers(after, next);
  BOOST_TEST(after.find(kb)->last_handshake_ns == before.find(kb)->last_handshake_ns);
  BOOST_TEST(after.find(kb)->rx_bytes >= before.find(kb)->rx_bytes);
  BOOST_TEST(after.find(kc)->last_handshake_ns == before.find(kc)->last_handshake_ns);
  BOOST_TEST(after.find(d.public_key)->last_handshake_ns == 0);
  const bool to_b = co_await ping(a.ns, overlay(1));
  BOOST_TEST(to_b);
  const bool to_c = co_await ping(a.ns, overlay(2));
  BOOST_TEST(to_c);
  after = co_await a.read();
  BOOST_TEST(after.find(kb)->last_handshake_ns == before.find(kb)->last_handshake_ns, "b's session was replaced");
  BOOST_TEST(after.find(kb)->rx_bytes > before.find(kb)->rx_bytes);

  // c and d removed: only b is left, with its session, and c is out of reach.
  wg::device only_b = plans[0];
  only_b.peers.resize(1);
  c = co_await a.converge(only_b);
  BOOST_TEST(c.set_peers.empty());
  BOOST_TEST(c.remove_peers.size() == 2u);
  after = co_await a.read();
  require_same_peers(after, only_b);
  BOOST_TEST(after.find(kb)->last_handshake_ns == before.find(kb)->last_handshake_ns);
  const bool still_b = co_await ping(a.ns, overlay(1));
  BOOST_TEST(still_b);
  const bool still_c = co_await ping(a.ns, overlay(2), 1);
  BOOST_TEST(!still_c, "a still reaches the removed c");
  const bool b_to_c = co_await ping(nodes[1].ns, overlay(2));
  BOOST_TEST(b_to_c, "b -> c");
}

BROOD_RT_TEST(three_namespaces_mesh_and_change_by_difference) { co_await mesh(); }

BOOST_AUTO_TEST_SUITE_END()
