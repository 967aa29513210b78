// WireGuard generic netlink messages through libnl: nl_msg builds them, nla_parse checks every
// attribute's type and length before brood reads it.
#include <brood/wg/genl.hpp>

#include <brood/netlink/message.hpp>

#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace brood::wg::genl {

namespace {

struct msg_deleter {
  void operator()(nl_msg* m) const noexcept { nlmsg_free(m); }
};
using msg_ptr = std::unique_ptr<nl_msg, msg_deleter>;

bytes to_bytes(nl_msg* m) {
  const nlmsghdr* h = nlmsg_hdr(m);
  const auto* p = reinterpret_cast<const std::uint8_t*>(h);
  return bytes(p, p + h->nlmsg_len);
}

/// `msg` as a netlink header whose length fits the buffer, copied to aligned storage.
struct aligned_msg {
  std::vector<std::uint64_t> storage;
  nlmsghdr* h = nullptr;
};
rt::result<aligned_msg> header_of(std::span<const std::uint8_t> msg) {
  if (msg.size() < NLMSG_HDRLEN) return std::errc::bad_message;
  aligned_msg a;
  a.storage.resize((msg.size() + 7) / 8);
  std::memcpy(a.storage.data(), msg.data(), msg.size());
  a.h = reinterpret_cast<nlmsghdr*>(a.storage.data());
  if (a.h->nlmsg_len < NLMSG_HDRLEN || a.h->nlmsg_len > msg.size()) return std::errc::bad_message;
  return a;
}

nlattr* nest(nl_msg* m, int type) { return nla_nest_start(m, type | NLA_F_NESTED); }

// Upper bounds of what one peer adds to a message: its own attributes (nest, key, flags,
// endpoint, keepalive, the allowed-IP nest), and each allowed IP (an IPv6 one is the largest).
constexpr std::size_t peer_bytes = 128;
constexpr std::size_t allowed_ip_bytes = 40;
// A netlink attribute's length is 16 bits: the peers' nest, and so a message, stays below it.
constexpr std::size_t max_message = 60000;

/// One peer's share of a message: a removal, or its allowed IPs [from, to). The first share of
/// a peer carries its flags, endpoint and keepalive and replaces its allowed IPs; later ones
/// (a peer with more than fit in one message) only add theirs, as wg(8) does.
struct share {
  const peer* p;
  bool remove;
  std::size_t from, to;
};

bool put_share(nl_msg* m, const share& s, int index) {
  const peer& p = *s.p;
  nlattr* outer = nest(m, index);
  if (!outer || nla_put(m, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, p.public_key.data()) < 0) return false;
  if (s.remove) {
    if (nla_put_u32(m, WGPEER_A_FLAGS, WGPEER_F_REMOVE_ME) < 0) return false;
    return nla_nest_end(m, outer) == 0;
  }
  if (s.from == 0) {
    if (nla_put_u32(m, WGPEER_A_FLAGS, WGPEER_F_REPLACE_ALLOWEDIPS) < 0) return false;
    if (p.endpoint && nla_put(m, WGPEER_A_ENDPOINT, static_cast<int>(p.endpoint->size()), p.endpoint->data()) < 0)
      return false;
    if (nla_put_u16(m, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, p.keepalive) < 0) return false;
  }
  nlattr* ips = nest(m, WGPEER_A_ALLOWEDIPS);
  if (!ips) return false;
  for (std::size_t i = s.from; i < s.to; ++i) {
    const auto& a = p.allowed_ips[i];
    nlattr* one = nest(m, static_cast<int>(i - s.from));
    if (!one || nla_put_u16(m, WGALLOWEDIP_A_FAMILY, static_cast<std::uint16_t>(a.family)) < 0 ||
        nla_put(m, WGALLOWEDIP_A_IPADDR, static_cast<int>(a.addr_size()), a.addr.data()) < 0 ||
        nla_put_u8(m, WGALLOWEDIP_A_CIDR_MASK, a.length) < 0 || nla_nest_end(m, one) != 0)
      return false;
  }
  // libnl drops an empty nest (a peer without allowed IPs), which the kernel reads the same.
  if (nla_nest_end(m, ips) != 0) return false;
  return nla_nest_end(m, outer) == 0;
}

}  // namespace

bytes get_family_request(std::uint32_t seq) {
  msg_ptr m(nlmsg_alloc());
  genlmsg_put(m.get(), NL_AUTO_PORT, seq, GENL_ID_CTRL, 0, NLM_F_REQUEST, CTRL_CMD_GETFAMILY, 1);
  nla_put_string(m.get(), CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
  return to_bytes(m.get());
}

rt::result<std::uint16_t> parse_family_reply(std::span<const std::uint8_t> msg) {
  auto a = header_of(msg);
  if (!a) return a.error();
  if (a->h->nlmsg_type == NLMSG_ERROR) {
    auto st = netlink::ack_status(msg);
    if (!st) return st.error();
    if (*st == -ENOENT) return std::errc::not_supported;
    return std::error_code(*st < 0 ? -*st : EPROTO, std::system_category());
  }
  nlattr* tb[CTRL_ATTR_MAX + 1] = {};
  nla_policy policy[CTRL_ATTR_MAX + 1] = {};
  policy[CTRL_ATTR_FAMILY_ID].type = NLA_U16;
  if (a->h->nlmsg_type != GENL_ID_CTRL || genlmsg_parse(a->h, 0, tb, CTRL_ATTR_MAX, policy) < 0 ||
      !tb[CTRL_ATTR_FAMILY_ID])
    return std::errc::bad_message;
  return nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
}

bytes get_device_request(std::uint16_t family, const std::string& ifname, std::uint32_t seq) {
  msg_ptr m(nlmsg_alloc());
  genlmsg_put(m.get(), NL_AUTO_PORT, seq, family, 0, NLM_F_REQUEST | NLM_F_DUMP, WG_CMD_GET_DEVICE, WG_GENL_VERSION);
  nla_put_string(m.get(), WGDEVICE_A_IFNAME, ifname.c_str());
  return to_bytes(m.get());
}

rt::result<void> parse_device_reply(std::span<const std::uint8_t> msg, device& d) {
  auto a = header_of(msg);
  if (!a) return a.error();
  nla_policy dev_policy[WGDEVICE_A_MAX + 1] = {};
  dev_policy[WGDEVICE_A_PRIVATE_KEY] = {NLA_UNSPEC, WG_KEY_LEN, WG_KEY_LEN};
  dev_policy[WGDEVICE_A_LISTEN_PORT].type = NLA_U16;
  dev_policy[WGDEVICE_A_PEERS].type = NLA_NESTED;
  nla_policy peer_policy[WGPEER_A_MAX + 1] = {};
  peer_policy[WGPEER_A_PUBLIC_KEY] = {NLA_UNSPEC, WG_KEY_LEN, WG_KEY_LEN};
  peer_policy[WGPEER_A_ENDPOINT] = {NLA_UNSPEC, sizeof(sockaddr_in), sizeof(sockaddr_in6)};
  peer_policy[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL].type = NLA_U16;
  peer_policy[WGPEER_A_LAST_HANDSHAKE_TIME] = {NLA_UNSPEC, 16, 16};
  peer_policy[WGPEER_A_RX_BYTES].type = NLA_U64;
  peer_policy[WGPEER_A_TX_BYTES].type = NLA_U64;
  peer_policy[WGPEER_A_ALLOWEDIPS].type = NLA_NESTED;
  nla_policy ip_policy[WGALLOWEDIP_A_MAX + 1] = {};
  ip_policy[WGALLOWEDIP_A_FAMILY].type = NLA_U16;
  ip_policy[WGALLOWEDIP_A_IPADDR] = {NLA_UNSPEC, 4, 16};
  ip_policy[WGALLOWEDIP_A_CIDR_MASK].type = NLA_U8;

  // The kernel marks a dump part made after the device changed (peers added or removed between
  // two parts): the parts no longer add up to one device.
  if (a->h->nlmsg_flags & NLM_F_DUMP_INTR) return std::errc::interrupted;
  nlattr* tb[WGDEVICE_A_MAX + 1] = {};
  if (genlmsg_parse(a->h, 0, tb, WGDEVICE_A_MAX, dev_policy) < 0) return std::errc::bad_message;
  if (tb[WGDEVICE_A_PRIVATE_KEY]) {
    key k;
    std::memcpy(k.data(), nla_data(tb[WGDEVICE_A_PRIVATE_KEY]), k.size());
    if (k != key{}) d.private_key = k;
  }
  if (tb[WGDEVICE_A_LISTEN_PORT]) d.listen_port = nla_get_u16(tb[WGDEVICE_A_LISTEN_PORT]);
  if (!tb[WGDEVICE_A_PEERS]) return {};
  nlattr* pa;
  int rem;
  nla_for_each_nested(pa, tb[WGDEVICE_A_PEERS], rem) {
    nlattr* pt[WGPEER_A_MAX + 1] = {};
    if (nla_parse_nested(pt, WGPEER_A_MAX, pa, peer_policy) < 0 || !pt[WGPEER_A_PUBLIC_KEY])
      return std::errc::bad_message;
    key pk;
    std::memcpy(pk.data(), nla_data(pt[WGPEER_A_PUBLIC_KEY]), pk.size());
    // A peer with many allowed IPs continues in the next message under the same key.
    peer* p = !d.peers.empty() && d.peers.back().public_key == pk ? &d.peers.back() : &d.peers.emplace_back();
    p->public_key = pk;
    if (auto* e = pt[WGPEER_A_ENDPOINT]) {
      const auto* sa = static_cast<const sockaddr*>(nla_data(e));
      const int len = nla_len(e);
      if ((sa->sa_family == AF_INET && len == sizeof(sockaddr_in)) ||
          (sa->sa_family == AF_INET6 && len == sizeof(sockaddr_in6)))
        p->endpoint = net::socket_address(sa, static_cast<socklen_t>(len));
      else
        return std::errc::bad_message;
    }
    if (auto* k = pt[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]) p->keepalive = nla_get_u16(k);
    if (auto* h = pt[WGPEER_A_LAST_HANDSHAKE_TIME]) {
      std::int64_t ts[2];
      std::memcpy(ts, nla_data(h), sizeof ts);
      if (ts[0] < 0 || ts[0] > 9'000'000'000 || ts[1] < 0 || ts[1] >= 1'000'000'000) return std::errc::bad_message;
      p->last_handshake_ns = ts[0] * 1'000'000'000 + ts[1];
    }
    if (auto* r = pt[WGPEER_A_RX_BYTES]) p->rx_bytes = nla_get_u64(r);
    if (auto* t = pt[WGPEER_A_TX_BYTES]) p->tx_bytes = nla_get_u64(t);
    if (!pt[WGPEER_A_ALLOWEDIPS]) continue;
    nlattr* ia;
    int irem;
    nla_for_each_nested(ia, pt[WGPEER_A_ALLOWEDIPS], irem) {
      nlattr* it[WGALLOWEDIP_A_MAX + 1] = {};
      if (nla_parse_nested(it, WGALLOWEDIP_A_MAX, ia, ip_policy) < 0 || !it[WGALLOWEDIP_A_FAMILY] ||
          !it[WGALLOWEDIP_A_IPADDR] || !it[WGALLOWEDIP_A_CIDR_MASK])
        return std::errc::bad_message;
      net::ip_prefix ip;
      ip.family = nla_get_u16(it[WGALLOWEDIP_A_FAMILY]);
      ip.length = nla_get_u8(it[WGALLOWEDIP_A_CIDR_MASK]);
      if ((ip.family != AF_INET && ip.family != AF_INET6) ||
          nla_len(it[WGALLOWEDIP_A_IPADDR]) != static_cast<int>(ip.addr_size()) || ip.length > ip.max_length())
        return std::errc::bad_message;
      std::memcpy(ip.addr.data(), nla_data(it[WGALLOWEDIP_A_IPADDR]), ip.addr_size());
      p->allowed_ips.push_back(ip);
    }
  }
  return {};
}

std::vector<bytes> set_device_requests(std::uint16_t family, const std::string& ifname, const device_change& c,
                                       std::uint32_t first_seq, std::size_t max_bytes) {
  max_bytes = std::clamp<std::size_t>(max_bytes, 1024, max_message - peer_bytes - allowed_ip_bytes);
  // The peers to write, removals first, in order; a peer's allowed IPs are cut into shares as
  // the messages fill.
  std::vector<peer> removed(c.remove_peers.size());
  std::vector<share> todo;
  for (std::size_t i = 0; i < removed.size(); ++i) {
    removed[i].public_key = c.remove_peers[i];
    todo.push_back({&removed[i], true, 0, 0});
  }
  for (auto& p : c.set_peers) todo.push_back({&p, false, 0, p.allowed_ips.size()});

  std::vector<bytes> out;
  std::size_t next = 0;
  do {
    msg_ptr m(nlmsg_alloc_size(max_bytes + 1024));
    genlmsg_put(m.get(), NL_AUTO_PORT, first_seq + static_cast<std::uint32_t>(out.size()), family, 0,
                NLM_F_REQUEST | NLM_F_ACK, WG_CMD_SET_DEVICE, WG_GENL_VERSION);
    nla_put_string(m.get(), WGDEVICE_A_IFNAME, ifname.c_str());
    if (out.empty()) {
      if (c.private_key) nla_put(m.get(), WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, c.private_key->data());
      if (c.listen_port) nla_put_u16(m.get(), WGDEVICE_A_LISTEN_PORT, *c.listen_port);
    }
    if (next < todo.size()) {
      nlattr* peers = nest(m.get(), WGDEVICE_A_PEERS);
      int index = 0;
      while (next < todo.size()) {
        const std::size_t used = nlmsg_hdr(m.get())->nlmsg_len;
        if (used + peer_bytes + allowed_ip_bytes > max_bytes && index > 0) break;  // the next message
        share& t = todo[next];
        // As many of its allowed IPs as fit (at least one, so that every message moves on).
        const std::size_t room = used + peer_bytes < max_bytes ? (max_bytes - used - peer_bytes) / allowed_ip_bytes : 0;
        share part = t;
        part.to = std::min(t.to, t.from + std::max<std::size_t>(room, 1));
        if (!put_share(m.get(), part, index++)) std::abort();  // sized above
        if (part.to < t.to) {
          t.from = part.to;  // the rest in the next message
          break;
        }
        ++next;
      }
      if (nla_nest_end(m.get(), peers) != 0) std::abort();
    }
    out.push_back(to_bytes(m.get()));
  } while (next < todo.size());
  return out;
}

}  // namespace brood::wg::genl
