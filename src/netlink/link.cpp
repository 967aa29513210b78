// netlink links: RTM_GETLINK (one, or a dump), RTM_NEWLINK (create, change) and RTM_DELLINK.
#include <brood/netlink/link.hpp>

#include "rtnl_request.hpp"

#include <brood/netlink/message.hpp>
#include <brood/netlink/socket.hpp>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <arpa/inet.h>

namespace brood::netlink {

using namespace detail;

namespace {
/// Sends an RTM_GETLINK request and takes the one link it answers.
rt::task<rt::result<link_info>> query_link(msg_ptr m, call_options o) {
  auto s = socket::open(NETLINK_ROUTE);
  if (!s) co_return s.error();
  rt::result<link_info> out = std::errc::bad_message;
  auto take = [&out](std::span<const std::uint8_t> a, std::uint16_t type) -> rt::result<bool> {
    if (type == NLMSG_ERROR) {
      auto r = ack_result(a);
      if (!r && r.error() == std::errc::no_such_device) return std::errc::no_such_device;
      return r ? rt::result<bool>(std::errc::bad_message) : rt::result<bool>(r.error());
    }
    if (type != RTM_NEWLINK) return false;
    out = parse_link(a);
    return true;
  };
  auto r = co_await s->exchange(bytes_of(m.get()), deadline(o), take);
  if (!r) co_return r.error();
  co_return out;
}
}  // namespace

rt::task<rt::result<link_info>> get_link(std::string name, call_options o) {
  if (name.empty() || name.size() >= IFNAMSIZ) co_return std::errc::invalid_argument;
  msg_ptr m(nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST));
  ifinfomsg ifi{};
  nlmsg_append(m.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO);
  nla_put_string(m.get(), IFLA_IFNAME, name.c_str());
  co_return co_await query_link(std::move(m), o);
}

rt::task<rt::result<link_info>> get_link(int index, call_options o) {
  if (index <= 0) co_return std::errc::invalid_argument;
  msg_ptr m(nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST));
  ifinfomsg ifi{};
  ifi.ifi_index = index;
  nlmsg_append(m.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO);
  co_return co_await query_link(std::move(m), o);
}

rt::task<rt::result<std::vector<link_info>>> list_links(call_options o) {
  msg_ptr m(nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP));
  ifinfomsg ifi{};
  nlmsg_append(m.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO);
  std::vector<link_info> out;
  std::function<void(std::span<const std::uint8_t>)> each = [&out](std::span<const std::uint8_t> a) {
    if (auto l = parse_link(a)) out.push_back(std::move(*l));
  };
  auto r = co_await dump(m.get(), RTM_NEWLINK, each, o);
  if (!r) co_return r.error();
  co_return out;
}

rt::task<rt::result<void>> create_link(std::string name, std::string kind, call_options o) {
  new_link l;
  l.name = std::move(name);
  l.kind = std::move(kind);
  co_return co_await create_link(std::move(l), o);
}

rt::task<rt::result<void>> create_link(new_link l, call_options o) {
  if (l.name.empty() || l.name.size() >= IFNAMSIZ || l.kind.empty() || l.alias.size() >= 128)
    co_return std::errc::invalid_argument;
  if ((l.kind == "vxlan") != l.vxlan.has_value()) co_return std::errc::invalid_argument;
  msg_ptr m(nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL));
  ifinfomsg ifi{};
  nlmsg_append(m.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO);
  nla_put_string(m.get(), IFLA_IFNAME, l.name.c_str());
  if (l.mtu) nla_put_u32(m.get(), IFLA_MTU, l.mtu);
  if (l.mac) nla_put(m.get(), IFLA_ADDRESS, static_cast<int>(l.mac->size()), l.mac->data());
  if (l.master) nla_put_u32(m.get(), IFLA_MASTER, static_cast<std::uint32_t>(l.master));
  nlattr* info = nla_nest_start(m.get(), IFLA_LINKINFO | NLA_F_NESTED);
  nla_put_string(m.get(), IFLA_INFO_KIND, l.kind.c_str());
  if (l.vxlan) {
    const auto& v = *l.vxlan;
    nlattr* data = nla_nest_start(m.get(), IFLA_INFO_DATA | NLA_F_NESTED);
    nla_put_u32(m.get(), IFLA_VXLAN_ID, v.vni);
    if (v.local.family == AF_INET6) nla_put(m.get(), IFLA_VXLAN_LOCAL6, 16, v.local.addr.data());
    else nla_put(m.get(), IFLA_VXLAN_LOCAL, 4, v.local.addr.data());
    nla_put_u16(m.get(), IFLA_VXLAN_PORT, htons(v.port));
    nla_put_u8(m.get(), IFLA_VXLAN_LEARNING, v.learning ? 1 : 0);
    if (v.local.family == AF_INET6) {
      nla_put_u8(m.get(), IFLA_VXLAN_UDP_ZERO_CSUM6_TX, v.udp_checksum ? 0 : 1);
      nla_put_u8(m.get(), IFLA_VXLAN_UDP_ZERO_CSUM6_RX, v.udp_checksum ? 0 : 1);
    } else {
      nla_put_u8(m.get(), IFLA_VXLAN_UDP_CSUM, v.udp_checksum ? 1 : 0);
    }
    nla_nest_end(m.get(), data);
  }
  nla_nest_end(m.get(), info);
  auto made = co_await request_ack(m.get(), o);
  if (!made || l.alias.empty()) co_return made;
  // The kernel takes IFLA_IFALIAS only from a change, not at creation.
  auto created = co_await get_link(l.name, o);
  if (!created) co_return created.error();
  co_return co_await set_link_alias(created->index, l.alias, o);
}

rt::task<rt::result<void>> delete_link(int index, call_options o) {
  msg_ptr m(nlmsg_alloc_simple(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK));
  ifinfomsg ifi{};
  ifi.ifi_index = index;
  nlmsg_append(m.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO);
  co_return co_await request_ack(m.get(), o);
}

rt::task<rt::result<void>> set_link(int index, std::uint32_t mtu, bool up, call_options o) {
  msg_ptr m(nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK));
  ifinfomsg ifi{};
  ifi.ifi_index = index;
  ifi.ifi_flags = up ? IFF_UP : 0;
  ifi.ifi_change = IFF_UP;
  nlmsg_append(m.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO);
  if (mtu) nla_put_u32(m.get(), IFLA_MTU, mtu);
  co_return co_await request_ack(m.get(), o);
}

rt::task<rt::result<void>> set_link_master(int index, int master, call_options o) {
  auto m = link_change(index);
  nla_put_u32(m.get(), IFLA_MASTER, static_cast<std::uint32_t>(master));
  co_return co_await request_ack(m.get(), o);
}

rt::task<rt::result<void>> set_link_alias(int index, std::string alias, call_options o) {
  if (alias.size() >= 128) co_return std::errc::invalid_argument;
  auto m = link_change(index);
  nla_put_string(m.get(), IFLA_IFALIAS, alias.c_str());
  co_return co_await request_ack(m.get(), o);
}

rt::task<rt::result<void>> set_link_mac(int index, mac_address mac, call_options o) {
  auto m = link_change(index);
  nla_put(m.get(), IFLA_ADDRESS, static_cast<int>(mac.size()), mac.data());
  co_return co_await request_ack(m.get(), o);
}

}  // namespace brood::netlink
