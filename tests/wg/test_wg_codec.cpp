// WireGuard device model and codecs: diff() keeps untouched peers untouched; the UAPI text
// protocol both ways, strictly; the generic netlink messages checked attribute by attribute
// against linux/wireguard.h with a walker written here (not libnl, which builds them).
#include <brood/wg/device.hpp>
#include <brood/netlink/message.hpp>
#include <brood/wg/genl.hpp>
#include <brood/wg/uapi.hpp>

#include <boost/test/unit_test.hpp>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <map>

using namespace brood;

BOOST_AUTO_TEST_SUITE(wg_codec)

namespace {
wg::key k(std::uint8_t b) {
  wg::key x;
  x.fill(b);
  return x;
}
net::ip_prefix ip(const char* s) { return *net::ip_prefix::parse(s); }
net::socket_address ep(const char* s) { return *net::socket_address::parse(s); }

wg::peer peer_of(std::uint8_t b, const char* endpoint, std::vector<net::ip_prefix> ips, std::uint16_t ka = 25) {
  wg::peer p;
  p.public_key = k(b);
  if (endpoint) p.endpoint = ep(endpoint);
  p.allowed_ips = std::move(ips);
  p.keepalive = ka;
  return p;
}

/// Netlink attributes of one level: type (flags stripped) → payloads, in order.
struct attr {
  std::uint16_t type;
  bool nested;
  std::vector<std::uint8_t> payload;
};
std::vector<attr> walk(const std::uint8_t* p, std::size_t len) {
  std::vector<attr> out;
  while (len >= NLA_HDRLEN) {
    nlattr a;
    std::memcpy(&a, p, sizeof a);
    BOOST_REQUIRE(a.nla_len >= NLA_HDRLEN && a.nla_len <= len);
    out.push_back({static_cast<std::uint16_t>(a.nla_type & NLA_TYPE_MASK), (a.nla_type & NLA_F_NESTED) != 0,
                   std::vector<std::uint8_t>(p + NLA_HDRLEN, p + a.nla_len)});
    const std::size_t step = std::min<std::size_t>(len, NLA_ALIGN(a.nla_len));
    p += step;
    len -= step;
  }
  BOOST_TEST(len == 0u);
  return out;
}
std::vector<attr> walk(const std::vector<std::uint8_t>& v) { return walk(v.data(), v.size()); }
const attr* find(const std::vector<attr>& as, std::uint16_t type) {
  for (auto& a : as)
    if (a.type == type) return &a;
  return nullptr;
}
template <class T>
T as(const attr* a) {
  BOOST_REQUIRE(a);
  BOOST_REQUIRE(a->payload.size() == sizeof(T));
  T v;
  std::memcpy(&v, a->payload.data(), sizeof v);
  return v;
}

/// The genl message's header checks and its top-level attributes.
std::vector<attr> genl_attrs(const std::vector<std::uint8_t>& m, std::uint16_t family, std::uint8_t cmd,
                             std::uint16_t flags) {
  BOOST_REQUIRE(m.size() >= NLMSG_HDRLEN + GENL_HDRLEN);
  nlmsghdr h;
  std::memcpy(&h, m.data(), sizeof h);
  BOOST_TEST(h.nlmsg_len == m.size());
  BOOST_TEST(h.nlmsg_type == family);
  BOOST_TEST(h.nlmsg_flags == flags);
  genlmsghdr g;
  std::memcpy(&g, m.data() + NLMSG_HDRLEN, sizeof g);
  BOOST_TEST(g.cmd == cmd);
  return walk(m.data() + NLMSG_HDRLEN + GENL_HDRLEN, m.size() - NLMSG_HDRLEN - GENL_HDRLEN);
}
}  // namespace

BOOST_AUTO_TEST_CASE(ip_prefixes) {
  BOOST_TEST(ip("10.1.2.3").to_string() == "10.1.2.3/32");
  BOOST_TEST(ip("10.1.2.3/24").to_string() == "10.1.2.3/24");
  BOOST_TEST(ip("2001:db8::1/64").to_string() == "2001:db8::1/64");
  BOOST_TEST(ip("::1").length == 128);
  for (const char* bad : {"", "10.1.2.3/33", "10.1.2/8", "10.1.2.3/", "10.1.2.3/-1", "::/129", "x", "10.1.2.3/024"})
    BOOST_TEST(!net::ip_prefix::parse(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(diff_touches_only_what_differs) {
  wg::device cur;
  cur.private_key = k(1);
  cur.listen_port = 51820;
  cur.peers = {peer_of(2, "192.0.2.2:51820", {ip("10.0.0.2/32")}), peer_of(3, "192.0.2.3:51820", {ip("10.0.0.3/32")}),
               peer_of(4, "192.0.2.4:51820", {ip("10.0.0.4/32"), ip("10.9.0.0/16")})};
  cur.peers[0].last_handshake_ns = 123;  // read-back fields never count
  wg::device want = cur;
  want.peers[0].last_handshake_ns = 0;
  BOOST_TEST(wg::diff(cur, want).empty());
  // Allowed IPs compare as a set.
  std::swap(want.peers[2].allowed_ips[0], want.peers[2].allowed_ips[1]);
  BOOST_TEST(wg::diff(cur, want).empty());
  // No endpoint in the plan: whatever the peer roamed to stays.
  want.peers[1].endpoint.reset();
  BOOST_TEST(wg::diff(cur, want).empty());

  want.peers.erase(want.peers.begin());                                   // 2 goes
  want.peers[1].endpoint = ep("198.51.100.4:51820");                      // 4 moved
  want.peers.push_back(peer_of(5, "192.0.2.5:51820", {ip("10.0.0.5")}));  // 5 comes
  want.listen_port = 51821;
  auto c = wg::diff(cur, want);
  BOOST_TEST(!c.private_key);
  BOOST_TEST((c.listen_port && *c.listen_port == 51821));
  BOOST_REQUIRE(c.remove_peers.size() == 1u);
  BOOST_TEST((c.remove_peers[0] == k(2)));
  BOOST_REQUIRE(c.set_peers.size() == 2u);
  BOOST_TEST((c.set_peers[0].public_key == k(4) && c.set_peers[1].public_key == k(5)));
  BOOST_TEST(c.set_peers[0].allowed_ips.size() == 2u);  // written whole
}

BOOST_AUTO_TEST_CASE(diff_compares_networks_as_devices_keep_them) {
  // The kernel and wireguard-go store 10.9.1.7/16 as 10.9.0.0/16: a plan written the first way
  // is met by what they read back, and what is sent is the network.
  wg::device cur;
  cur.peers = {peer_of(2, "192.0.2.2:51820", {ip("10.9.0.0/16"), ip("fd00:9::/64"), ip("10.0.0.2/32")})};
  wg::device want = cur;
  want.peers[0].allowed_ips = {ip("10.9.1.7/16"), ip("fd00:9::7/64"), ip("10.0.0.2/32")};
  BOOST_TEST(wg::diff(cur, want).empty());
  want.peers[0].allowed_ips[0] = ip("10.9.1.7/24");
  auto c = wg::diff(cur, want);
  BOOST_REQUIRE(c.set_peers.size() == 1u);
  auto& sent = c.set_peers[0].allowed_ips;
  BOOST_TEST((std::find(sent.begin(), sent.end(), ip("10.9.1.0/24")) != sent.end()));
  BOOST_TEST((std::find(sent.begin(), sent.end(), ip("fd00:9::/64")) != sent.end()));
}

BOOST_AUTO_TEST_CASE(uapi_set_request) {
  wg::device_change c;
  c.private_key = k(0xab);
  c.listen_port = 51820;
  c.remove_peers = {k(2)};
  c.set_peers = {peer_of(3, "[2001:db8::3]:51820", {ip("10.0.0.3/32"), ip("fd00::3/128")})};
  const std::string hex_ab(64, 'a');
  auto req = wg::uapi_set_request(c);
  BOOST_TEST(req == "set=1\nprivate_key=" + wg::to_hex(k(0xab)) + "\nlisten_port=51820\npublic_key=" +
                        wg::to_hex(k(2)) + "\nremove=true\npublic_key=" + wg::to_hex(k(3)) +
                        "\nendpoint=[2001:db8::3]:51820\npersistent_keepalive_interval=25\nreplace_allowed_ips=true\n"
                        "allowed_ip=10.0.0.3/32\nallowed_ip=fd00::3/128\n\n");
  BOOST_TEST(wg::to_hex(k(0xab)).substr(0, 4) == "abab");
}

BOOST_AUTO_TEST_CASE(uapi_get_answer) {
  const std::string answer = "private_key=" + wg::to_hex(k(1)) + "\nlisten_port=51820\npublic_key=" + wg::to_hex(k(2)) +
                             "\npreshared_key=" + std::string(64, '0') +
                             "\nprotocol_version=1\nendpoint=10.99.0.2:51820\nlast_handshake_time_sec=1700000000\n"
                             "last_handshake_time_nsec=5\ntx_bytes=92\nrx_bytes=180\npersistent_keepalive_interval=25\n"
                             "allowed_ip=10.100.0.2/32\npublic_key=" + wg::to_hex(k(3)) +
                             "\npersistent_keepalive_interval=0\nerrno=0\n\n";
  auto d = wg::parse_uapi_get(answer);
  BOOST_REQUIRE_MESSAGE(d.has_value(), d.error().message());
  BOOST_TEST((d->private_key == k(1)));
  BOOST_TEST(d->listen_port == 51820);
  BOOST_REQUIRE(d->peers.size() == 2u);
  BOOST_TEST(d->peers[0].endpoint->to_string() == "10.99.0.2:51820");
  BOOST_TEST(d->peers[0].last_handshake_ns == 1700000000'000000005LL);
  BOOST_TEST(d->peers[0].rx_bytes == 180u);
  BOOST_TEST(d->peers[0].allowed_ips[0].to_string() == "10.100.0.2/32");
  BOOST_TEST(!d->peers[1].endpoint);
  BOOST_TEST(d->peers[1].last_handshake_ns == 0);

  BOOST_TEST(wg::parse_uapi_get("errno=0\n\n").has_value());
  BOOST_TEST((wg::parse_uapi_get("errno=-22\n\n").error() == std::errc::invalid_argument));
  for (std::string bad : {
           std::string(""), std::string("errno=0\n"), std::string("errno=0\n\nx"), std::string("listen_port=1\n"),
           std::string("endpoint=1.2.3.4:5\nerrno=0\n\n"),                    // before any peer
           std::string("private_key=AB\nerrno=0\n\n"),                        // short key
           "private_key=" + std::string(64, 'A') + "\nerrno=0\n\n",          // upper-case hex
           std::string("listen_port=65536\nerrno=0\n\n"), std::string("listen_port=01\nerrno=0\n\n"),
           std::string("bogus=1\nerrno=0\n\n"), std::string("=1\nerrno=0\n\n"), std::string("errno=x\n\n"),
           "public_key=" + wg::to_hex(k(2)) + "\nallowed_ip=10.0.0.1\nerrno=0\n\n",  // no length
           "public_key=" + wg::to_hex(k(2)) + "\nlast_handshake_time_nsec=1000000000\nerrno=0\n\n",
           "public_key=" + wg::to_hex(k(2)) + "\nprotocol_version=2\nerrno=0\n\n"})
    BOOST_TEST(!wg::parse_uapi_get(bad).has_value(), bad);
  BOOST_TEST(wg::parse_uapi_set("errno=0\n\n").has_value());
  BOOST_TEST((wg::parse_uapi_set("errno=-22\n\n").error() == std::errc::invalid_argument));
  BOOST_TEST(!wg::parse_uapi_set("errno=0\n").has_value());
  BOOST_TEST(!wg::parse_uapi_set("errno=0\nx\n\n").has_value());
}

BOOST_AUTO_TEST_CASE(genl_family_and_get) {
  auto f = wg::genl::get_family_request(7);
  auto top = genl_attrs(f, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_REQUEST);
  auto* name = find(top, CTRL_ATTR_FAMILY_NAME);
  BOOST_REQUIRE(name);
  BOOST_TEST(std::string(reinterpret_cast<const char*>(name->payload.data())) == WG_GENL_NAME);

  auto g = wg::genl::get_device_request(0x1234, "wg0", 8);
  top = genl_attrs(g, 0x1234, WG_CMD_GET_DEVICE, NLM_F_REQUEST | NLM_F_DUMP);
  auto* ifname = find(top, WGDEVICE_A_IFNAME);
  BOOST_REQUIRE(ifname);
  BOOST_TEST(ifname->payload.size() == 4u);  // "wg0\0"
}

BOOST_AUTO_TEST_CASE(genl_set_device_matches_linux_wireguard_h) {
  wg::device_change c;
  c.private_key = k(9);
  c.listen_port = 51820;
  c.remove_peers = {k(2)};
  c.set_peers = {peer_of(3, "192.0.2.3:51820", {ip("10.0.0.3/32")}),
                 peer_of(4, "[2001:db8::4]:51821", {ip("10.0.0.4/32"), ip("fd00::4/128")}, 0)};
  auto msgs = wg::genl::set_device_requests(0x22, "wg0", c, 100);
  BOOST_REQUIRE(msgs.size() == 1u);
  auto top = genl_attrs(msgs[0], 0x22, WG_CMD_SET_DEVICE, NLM_F_REQUEST | NLM_F_ACK);
  BOOST_TEST(as<std::uint16_t>(find(top, WGDEVICE_A_LISTEN_PORT)) == 51820);
  auto* pk = find(top, WGDEVICE_A_PRIVATE_KEY);
  BOOST_REQUIRE(pk);
  BOOST_TEST((pk->payload == std::vector<std::uint8_t>(32, 9)));
  BOOST_TEST(!find(top, WGDEVICE_A_FLAGS));  // never WGDEVICE_F_REPLACE_PEERS: untouched peers stay
  auto* peers = find(top, WGDEVICE_A_PEERS);
  BOOST_REQUIRE(peers);
  BOOST_TEST(peers->nested);  // NLA_F_NESTED, as the kernel's strict validation wants
  auto list = walk(peers->payload);
  BOOST_REQUIRE(list.size() == 3u);

  auto removed = walk(list[0].payload);
  BOOST_TEST((find(removed, WGPEER_A_PUBLIC_KEY)->payload == std::vector<std::uint8_t>(32, 2)));
  BOOST_TEST(as<std::uint32_t>(find(removed, WGPEER_A_FLAGS)) == static_cast<std::uint32_t>(WGPEER_F_REMOVE_ME));
  BOOST_TEST(!find(removed, WGPEER_A_ALLOWEDIPS));

  auto p3 = walk(list[1].payload);
  BOOST_TEST(as<std::uint32_t>(find(p3, WGPEER_A_FLAGS)) == static_cast<std::uint32_t>(WGPEER_F_REPLACE_ALLOWEDIPS));
  auto sin = as<sockaddr_in>(find(p3, WGPEER_A_ENDPOINT));
  BOOST_TEST(sin.sin_family == AF_INET);
  BOOST_TEST(ntohs(sin.sin_port) == 51820);
  BOOST_TEST(as<std::uint16_t>(find(p3, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL)) == 25);

  auto p4 = walk(list[2].payload);
  auto sin6 = as<sockaddr_in6>(find(p4, WGPEER_A_ENDPOINT));
  BOOST_TEST(sin6.sin6_family == AF_INET6);
  BOOST_TEST(ntohs(sin6.sin6_port) == 51821);
  BOOST_TEST(as<std::uint16_t>(find(p4, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL)) == 0);
  auto* ips = find(p4, WGPEER_A_ALLOWEDIPS);
  BOOST_REQUIRE(ips);
  BOOST_TEST(ips->nested);
  auto ip_list = walk(ips->payload);
  BOOST_REQUIRE(ip_list.size() == 2u);
  auto v4 = walk(ip_list[0].payload);
  BOOST_TEST(as<std::uint16_t>(find(v4, WGALLOWEDIP_A_FAMILY)) == AF_INET);
  BOOST_TEST((find(v4, WGALLOWEDIP_A_IPADDR)->payload == std::vector<std::uint8_t>{10, 0, 0, 4}));
  BOOST_TEST(as<std::uint8_t>(find(v4, WGALLOWEDIP_A_CIDR_MASK)) == 32);
  auto v6 = walk(ip_list[1].payload);
  BOOST_TEST(as<std::uint16_t>(find(v6, WGALLOWEDIP_A_FAMILY)) == AF_INET6);
  BOOST_TEST(find(v6, WGALLOWEDIP_A_IPADDR)->payload.size() == 16u);
  BOOST_TEST(as<std::uint8_t>(find(v6, WGALLOWEDIP_A_CIDR_MASK)) == 128);

  // What a kernel would answer with the same attributes folds back into the same peers.
  auto reply = msgs[0];
  wg::device d;
  BOOST_REQUIRE(wg::genl::parse_device_reply(reply, d).has_value());
  BOOST_TEST((d.private_key == k(9)));
  BOOST_REQUIRE(d.peers.size() == 3u);
  BOOST_TEST(d.peers[2].endpoint->to_string() == "[2001:db8::4]:51821");
  BOOST_TEST(d.peers[2].allowed_ips.size() == 2u);
}

BOOST_AUTO_TEST_CASE(genl_set_device_splits_large_changes) {
  wg::device_change c;
  c.listen_port = 51820;
  for (int i = 0; i < 250; ++i)
    c.set_peers.push_back(peer_of(static_cast<std::uint8_t>(i), "192.0.2.1:51820", {ip("10.0.0.1/32")}));
  auto msgs = wg::genl::set_device_requests(0x22, "wg0", c, 1, 8192);
  BOOST_TEST(msgs.size() > 1u);
  std::size_t peers = 0;
  std::uint32_t seq = 1;
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    BOOST_TEST(msgs[i].size() <= 8192u);
    nlmsghdr h;
    std::memcpy(&h, msgs[i].data(), sizeof h);
    BOOST_TEST(h.nlmsg_seq == seq++);
    auto top = genl_attrs(msgs[i], 0x22, WG_CMD_SET_DEVICE, NLM_F_REQUEST | NLM_F_ACK);
    BOOST_TEST(find(top, WGDEVICE_A_IFNAME) != nullptr);
    BOOST_TEST((find(top, WGDEVICE_A_LISTEN_PORT) != nullptr) == (i == 0));  // device attributes once
    peers += walk(find(top, WGDEVICE_A_PEERS)->payload).size();
  }
  BOOST_TEST(peers == 250u);
}

BOOST_AUTO_TEST_CASE(genl_set_device_splits_a_peer_with_many_allowed_ips) {
  // 3000 allowed IPs are more than one attribute's 16-bit length holds: the peer continues in
  // later messages, which only add allowed IPs (no flags: no replace, endpoint, keepalive).
  wg::device_change c;
  c.set_peers = {peer_of(3, "192.0.2.3:51820", {}), peer_of(4, "192.0.2.4:51820", {ip("10.0.0.4/32")})};
  for (int i = 0; i < 1500; ++i) {
    c.set_peers[0].allowed_ips.push_back(ip(("172.16." + std::to_string(i >> 8) + "." + std::to_string(i & 255)).c_str()));
    c.set_peers[0].allowed_ips.push_back(ip(("fd00:99::" + std::to_string(i)).c_str()));
  }
  for (std::size_t max : {std::size_t{8192}, std::size_t{32768}, std::size_t{1} << 20}) {
    auto msgs = wg::genl::set_device_requests(0x22, "wg0", c, 1, max);
    BOOST_TEST(msgs.size() > 1u);
    std::vector<std::uint8_t> ips;  // the last byte of each IPv4 one, in order
    std::size_t count = 0, shares = 0;
    bool seen4 = false;
    for (auto& m : msgs) {
      BOOST_TEST(m.size() <= std::min<std::size_t>(max, 60000));
      auto top = genl_attrs(m, 0x22, WG_CMD_SET_DEVICE, NLM_F_REQUEST | NLM_F_ACK);
      auto* peers = find(top, WGDEVICE_A_PEERS);
      BOOST_REQUIRE(peers);
      for (auto& p : walk(peers->payload)) {
        auto attrs = walk(p.payload);
        if (find(attrs, WGPEER_A_PUBLIC_KEY)->payload == std::vector<std::uint8_t>(32, 4)) {
          seen4 = true;
          BOOST_TEST(count == 3000u);  // after all of peer 3
          continue;
        }
        BOOST_TEST(!seen4);
        const bool first = shares++ == 0;
        BOOST_TEST((find(attrs, WGPEER_A_FLAGS) != nullptr) == first);
        BOOST_TEST((find(attrs, WGPEER_A_ENDPOINT) != nullptr) == first);
        BOOST_TEST((find(attrs, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL) != nullptr) == first);
        if (first) BOOST_TEST(as<std::uint32_t>(find(attrs, WGPEER_A_FLAGS)) == WGPEER_F_REPLACE_ALLOWEDIPS);
        for (auto& one : walk(find(attrs, WGPEER_A_ALLOWEDIPS)->payload)) {
          auto f = walk(one.payload);
          if (as<std::uint16_t>(find(f, WGALLOWEDIP_A_FAMILY)) == AF_INET) ips.push_back(find(f, WGALLOWEDIP_A_IPADDR)->payload[3]);
          ++count;
        }
      }
    }
    BOOST_TEST(seen4);
    BOOST_TEST(count == 3000u);
    BOOST_REQUIRE(ips.size() == 1500u);
    for (std::size_t i = 0; i < ips.size(); ++i) BOOST_TEST(ips[i] == (i & 255));
  }
}

BOOST_AUTO_TEST_CASE(genl_interrupted_dump_is_refused) {
  // NLM_F_DUMP_INTR: the device changed between two parts of a dump.
  wg::device_change c;
  c.set_peers = {peer_of(3, "192.0.2.3:51820", {ip("10.0.0.3/32")})};
  auto m = wg::genl::set_device_requests(0x22, "wg0", c, 1)[0];
  wg::device d;
  BOOST_TEST(wg::genl::parse_device_reply(m, d).has_value());
  nlmsghdr h;
  std::memcpy(&h, m.data(), sizeof h);
  h.nlmsg_flags |= NLM_F_MULTI | NLM_F_DUMP_INTR;
  std::memcpy(m.data(), &h, sizeof h);
  wg::device e;
  BOOST_TEST((wg::genl::parse_device_reply(m, e).error() == std::errc::interrupted));
}

BOOST_AUTO_TEST_CASE(genl_replies_are_checked) {
  // An ACK, an error, and garbage.
  std::vector<std::uint8_t> ack(NLMSG_LENGTH(sizeof(nlmsgerr)), 0);
  nlmsghdr h{static_cast<std::uint32_t>(ack.size()), NLMSG_ERROR, 0, 1, 0};
  std::memcpy(ack.data(), &h, sizeof h);
  BOOST_TEST(*netlink::ack_status(ack) == 0);
  int e = -ENOENT;
  std::memcpy(ack.data() + NLMSG_HDRLEN, &e, sizeof e);
  BOOST_TEST(*netlink::ack_status(ack) == -ENOENT);
  BOOST_TEST((wg::genl::parse_family_reply(ack).error() == std::errc::not_supported));
  BOOST_TEST(!netlink::ack_status(std::vector<std::uint8_t>(8, 0)).has_value());
  // Every truncation of a well-formed device message is refused or read as fewer attributes,
  // never read past its end.
  wg::device_change c;
  c.set_peers = {peer_of(3, "192.0.2.3:51820", {ip("10.0.0.3/32")})};
  auto m = wg::genl::set_device_requests(0x22, "wg0", c, 1)[0];
  for (std::size_t n = 0; n < m.size(); ++n) {
    std::vector<std::uint8_t> cut(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(n));
    wg::device d;
    (void)wg::genl::parse_device_reply(cut, d);
  }
}

BOOST_AUTO_TEST_SUITE_END()
