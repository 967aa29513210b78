// netlink bridge ports: an AF_BRIDGE RTM_GETLINK dump (ports carry IFLA_PROTINFO) and
// RTM_SETLINK with IFLA_PROTINFO, as iproute2's `bridge link` sends them.
#include <brood/netlink/bridge.hpp>

#include "rtnl_request.hpp"

#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cstring>

namespace brood::netlink {

using namespace detail;

namespace {
/// A port's index and flags; nothing for a message without IFLA_PROTINFO (the bridge itself).
std::optional<std::pair<int, bridge_port_flags>> parse_port(std::span<const std::uint8_t> m) {
  if (m.size() < NLMSG_LENGTH(sizeof(ifinfomsg))) return std::nullopt;
  aligned a(m);
  nla_policy policy[IFLA_MAX + 1] = {};
  policy[IFLA_PROTINFO].type = NLA_NESTED;
  nlattr* tb[IFLA_MAX + 1] = {};
  if (nlmsg_parse(a.h, sizeof(ifinfomsg), tb, IFLA_MAX, policy) < 0 || !tb[IFLA_PROTINFO]) return std::nullopt;
  nla_policy port_policy[IFLA_BRPORT_MAX + 1] = {};
  port_policy[IFLA_BRPORT_LEARNING].type = NLA_U8;
  port_policy[IFLA_BRPORT_NEIGH_SUPPRESS].type = NLA_U8;
  nlattr* port[IFLA_BRPORT_MAX + 1] = {};
  if (nla_parse_nested(port, IFLA_BRPORT_MAX, tb[IFLA_PROTINFO], port_policy) != 0) return std::nullopt;
  bridge_port_flags f;
  if (port[IFLA_BRPORT_LEARNING]) f.learning = nla_get_u8(port[IFLA_BRPORT_LEARNING]) != 0;
  if (port[IFLA_BRPORT_NEIGH_SUPPRESS]) f.neigh_suppress = nla_get_u8(port[IFLA_BRPORT_NEIGH_SUPPRESS]) != 0;
  const auto* ifi = static_cast<const ifinfomsg*>(nlmsg_data(a.h));
  return std::pair{ifi->ifi_index, f};
}
std::optional<fdb_entry> parse_fdb(std::span<const std::uint8_t> m) {
  if (m.size() < NLMSG_LENGTH(sizeof(ndmsg))) return std::nullopt;
  aligned a(m);
  nla_policy policy[NDA_MAX + 1] = {};
  policy[NDA_LLADDR] = {NLA_UNSPEC, 6, 6};
  policy[NDA_DST] = {NLA_UNSPEC, 4, 16};
  nlattr* tb[NDA_MAX + 1] = {};
  if (nlmsg_parse(a.h, sizeof(ndmsg), tb, NDA_MAX, policy) < 0 || !tb[NDA_LLADDR]) return std::nullopt;
  const auto* nd = static_cast<const ndmsg*>(nlmsg_data(a.h));
  fdb_entry e;
  e.index = nd->ndm_ifindex;
  std::memcpy(e.mac.data(), nla_data(tb[NDA_LLADDR]), e.mac.size());
  e.extern_learn = (nd->ndm_flags & NTF_EXT_LEARNED) != 0;
  if (tb[NDA_DST]) {
    const int len = nla_len(tb[NDA_DST]);
    if (len != 4 && len != 16) return std::nullopt;
    net::ip_prefix d;
    d.family = len == 4 ? AF_INET : AF_INET6;
    d.length = static_cast<std::uint8_t>(len * 8);
    std::memcpy(d.addr.data(), nla_data(tb[NDA_DST]), static_cast<std::size_t>(len));
    e.dst = d;
  }
  return e;
}
}  // namespace

rt::task<rt::result<std::vector<fdb_entry>>> fdb_entries(call_options o) {
  msg_ptr m(nlmsg_alloc_simple(RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP));
  ndmsg nd{};
  nd.ndm_family = AF_BRIDGE;
  nlmsg_append(m.get(), &nd, sizeof nd, NLMSG_ALIGNTO);
  std::vector<fdb_entry> out;
  std::function<void(std::span<const std::uint8_t>)> each = [&out](std::span<const std::uint8_t> a) {
    if (auto e = parse_fdb(a)) out.push_back(*e);
  };
  auto r = co_await dump(m.get(), RTM_NEWNEIGH, each, o);
  if (!r) co_return r.error();
  co_return out;
}

rt::task<rt::result<std::map<int, bridge_port_flags>>> bridge_ports(call_options o) {
  msg_ptr m(nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_BRIDGE;
  nlmsg_append(m.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO);
  std::map<int, bridge_port_flags> out;
  std::function<void(std::span<const std::uint8_t>)> each = [&out](std::span<const std::uint8_t> a) {
    if (auto p = parse_port(a)) out[p->first] = p->second;
  };
  auto r = co_await dump(m.get(), RTM_NEWLINK, each, o);
  if (!r) co_return r.error();
  co_return out;
}

rt::task<rt::result<void>> set_bridge_port(int index, bridge_port_flags f, call_options o) {
  msg_ptr m(nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_BRIDGE;
  ifi.ifi_index = index;
  nlmsg_append(m.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO);
  nlattr* port = nla_nest_start(m.get(), IFLA_PROTINFO | NLA_F_NESTED);
  nla_put_u8(m.get(), IFLA_BRPORT_LEARNING, f.learning ? 1 : 0);
  nla_put_u8(m.get(), IFLA_BRPORT_NEIGH_SUPPRESS, f.neigh_suppress ? 1 : 0);
  nla_nest_end(m.get(), port);
  co_return co_await request_ack(m.get(), o);
}

}  // namespace brood::netlink
