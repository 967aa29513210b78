// What every routing-netlink request shares (rtnl_request.hpp).
#include "rtnl_request.hpp"

#include <brood/netlink/message.hpp>
#include <brood/netlink/socket.hpp>
#include <brood/rt/timer.hpp>

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <arpa/inet.h>

#include <cstring>

namespace brood::netlink::detail {

void msg_deleter::operator()(nl_msg* m) const noexcept { nlmsg_free(m); }

std::span<const std::uint8_t> bytes_of(nl_msg* m) {
  const nlmsghdr* h = nlmsg_hdr(m);
  return {reinterpret_cast<const std::uint8_t*>(h), h->nlmsg_len};
}

rt::io_options deadline(const call_options& o) { return rt::io_options{rt::clock::now() + o.timeout}; }

aligned::aligned(std::span<const std::uint8_t> m) : storage((m.size() + 7) / 8) {
  std::memcpy(storage.data(), m.data(), m.size());
  h = reinterpret_cast<nlmsghdr*>(storage.data());
}

rt::task<rt::result<void>> request_ack(nl_msg* m, call_options o) {
  auto s = socket::open(NETLINK_ROUTE);
  if (!s) co_return s.error();
  auto acked = [](std::span<const std::uint8_t> a, std::uint16_t type) -> rt::result<bool> {
    if (type != NLMSG_ERROR) return false;  // nothing else is expected; skip it
    auto r = ack_result(a);
    if (!r) return r.error();
    return true;
  };
  co_return co_await s->exchange(bytes_of(m), deadline(o), acked);
}

rt::task<rt::result<void>> dump(nl_msg* m, std::uint16_t type, std::function<void(std::span<const std::uint8_t>)> each,
                                call_options o) {
  auto s = socket::open(NETLINK_ROUTE);
  if (!s) co_return s.error();
  auto take = [type, &each](std::span<const std::uint8_t> a, std::uint16_t t) -> rt::result<bool> {
    if (t == NLMSG_DONE) return true;
    if (t == NLMSG_ERROR) {
      auto r = ack_result(a);
      return r ? rt::result<bool>(true) : rt::result<bool>(r.error());
    }
    if (t == type) each(a);
    return false;
  };
  co_return co_await s->exchange(bytes_of(m), deadline(o), take);
}

msg_ptr link_change(int index) {
  msg_ptr m(nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK));
  ifinfomsg ifi{};
  ifi.ifi_index = index;
  nlmsg_append(m.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO);
  return m;
}

namespace {
/// IFLA_INFO_DATA of a VXLAN link.
std::optional<vxlan_settings> parse_vxlan(nlattr* data) {
  nla_policy policy[IFLA_VXLAN_MAX + 1] = {};
  policy[IFLA_VXLAN_ID].type = NLA_U32;
  policy[IFLA_VXLAN_LOCAL] = {NLA_UNSPEC, 4, 4};
  policy[IFLA_VXLAN_LOCAL6] = {NLA_UNSPEC, 16, 16};
  policy[IFLA_VXLAN_PORT].type = NLA_U16;
  policy[IFLA_VXLAN_LEARNING].type = NLA_U8;
  policy[IFLA_VXLAN_UDP_CSUM].type = NLA_U8;
  policy[IFLA_VXLAN_UDP_ZERO_CSUM6_TX].type = NLA_U8;
  policy[IFLA_VXLAN_UDP_ZERO_CSUM6_RX].type = NLA_U8;
  nlattr* tb[IFLA_VXLAN_MAX + 1] = {};
  if (nla_parse_nested(tb, IFLA_VXLAN_MAX, data, policy) != 0 || !tb[IFLA_VXLAN_ID]) return std::nullopt;
  vxlan_settings v;
  v.vni = nla_get_u32(tb[IFLA_VXLAN_ID]);
  if (tb[IFLA_VXLAN_LOCAL]) {
    v.local.family = AF_INET;
    v.local.length = 32;
    std::memcpy(v.local.addr.data(), nla_data(tb[IFLA_VXLAN_LOCAL]), 4);
  } else if (tb[IFLA_VXLAN_LOCAL6]) {
    v.local.family = AF_INET6;
    v.local.length = 128;
    std::memcpy(v.local.addr.data(), nla_data(tb[IFLA_VXLAN_LOCAL6]), 16);
  }
  if (tb[IFLA_VXLAN_PORT]) v.port = ntohs(nla_get_u16(tb[IFLA_VXLAN_PORT]));
  const auto flag = [&](int a) { return tb[a] && nla_get_u8(tb[a]) != 0; };
  v.learning = flag(IFLA_VXLAN_LEARNING);
  v.udp_checksum = v.local.family == AF_INET6
                       ? !(flag(IFLA_VXLAN_UDP_ZERO_CSUM6_TX) && flag(IFLA_VXLAN_UDP_ZERO_CSUM6_RX))
                       : flag(IFLA_VXLAN_UDP_CSUM);
  return v;
}
}  // namespace

rt::result<link_info> parse_link(std::span<const std::uint8_t> m) {
  if (m.size() < NLMSG_LENGTH(sizeof(ifinfomsg))) return std::errc::bad_message;
  aligned a(m);
  nla_policy policy[IFLA_MAX + 1] = {};
  policy[IFLA_IFNAME].type = NLA_STRING;
  policy[IFLA_MTU].type = NLA_U32;
  policy[IFLA_MASTER].type = NLA_U32;
  policy[IFLA_IFALIAS].type = NLA_STRING;
  policy[IFLA_LINKINFO].type = NLA_NESTED;
  nlattr* tb[IFLA_MAX + 1] = {};
  if (nlmsg_parse(a.h, sizeof(ifinfomsg), tb, IFLA_MAX, policy) < 0) return std::errc::bad_message;
  const auto* ifi = static_cast<const ifinfomsg*>(nlmsg_data(a.h));
  link_info l;
  l.index = ifi->ifi_index;
  l.up = (ifi->ifi_flags & IFF_UP) != 0;
  if (tb[IFLA_IFNAME]) l.name = nla_get_string(tb[IFLA_IFNAME]);
  if (tb[IFLA_MTU]) l.mtu = nla_get_u32(tb[IFLA_MTU]);
  if (tb[IFLA_MASTER]) l.master = static_cast<int>(nla_get_u32(tb[IFLA_MASTER]));
  if (tb[IFLA_IFALIAS]) l.alias = nla_get_string(tb[IFLA_IFALIAS]);
  if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == 6) {
    mac_address mac;
    std::memcpy(mac.data(), nla_data(tb[IFLA_ADDRESS]), mac.size());
    l.mac = mac;
  }
  if (tb[IFLA_LINKINFO]) {
    nla_policy info_policy[IFLA_INFO_MAX + 1] = {};
    info_policy[IFLA_INFO_KIND].type = NLA_STRING;
    info_policy[IFLA_INFO_DATA].type = NLA_NESTED;
    nlattr* info[IFLA_INFO_MAX + 1] = {};
    if (nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], info_policy) == 0 && info[IFLA_INFO_KIND]) {
      l.kind = nla_get_string(info[IFLA_INFO_KIND]);
      if (l.kind == "vxlan" && info[IFLA_INFO_DATA]) l.vxlan = parse_vxlan(info[IFLA_INFO_DATA]);
    }
  }
  return l;
}

/// An address message's link index and prefix.
rt::result<std::pair<int, net::ip_prefix>> parse_addr(std::span<const std::uint8_t> m) {
  if (m.size() < NLMSG_LENGTH(sizeof(ifaddrmsg))) return std::errc::bad_message;
  aligned a(m);
  nla_policy policy[IFA_MAX + 1] = {};
  policy[IFA_ADDRESS] = {NLA_UNSPEC, 4, 16};
  policy[IFA_LOCAL] = {NLA_UNSPEC, 4, 16};
  nlattr* tb[IFA_MAX + 1] = {};
  if (nlmsg_parse(a.h, sizeof(ifaddrmsg), tb, IFA_MAX, policy) < 0) return std::errc::bad_message;
  const auto* ifa = static_cast<const ifaddrmsg*>(nlmsg_data(a.h));
  net::ip_prefix p;
  p.family = ifa->ifa_family;
  p.length = ifa->ifa_prefixlen;
  if (p.family != AF_INET && p.family != AF_INET6) return std::errc::address_family_not_supported;
  // IFA_LOCAL is the address itself where there is a peer address (point-to-point links).
  nlattr* addr = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
  if (!addr || nla_len(addr) != static_cast<int>(p.addr_size()) || p.length > p.max_length())
    return std::errc::bad_message;
  std::memcpy(p.addr.data(), nla_data(addr), p.addr_size());
  return std::pair{static_cast<int>(ifa->ifa_index), p};
}

}  // namespace brood::netlink::detail
