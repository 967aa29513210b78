// netlink addresses: RTM_GETADDR dumps, RTM_NEWADDR and RTM_DELADDR, and converge_link.
#include <brood/netlink/address.hpp>

#include "rtnl_request.hpp"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <algorithm>

namespace brood::netlink {

using namespace detail;

namespace {
msg_ptr address_message(int type, int flags, int index, const net::ip_prefix& p) {
  msg_ptr m(nlmsg_alloc_simple(type, flags));
  ifaddrmsg ifa{};
  ifa.ifa_family = static_cast<std::uint8_t>(p.family);
  ifa.ifa_prefixlen = p.length;
  ifa.ifa_index = static_cast<std::uint32_t>(index);
  nlmsg_append(m.get(), &ifa, sizeof ifa, NLMSG_ALIGNTO);
  nla_put(m.get(), IFA_LOCAL, static_cast<int>(p.addr_size()), p.addr.data());
  nla_put(m.get(), IFA_ADDRESS, static_cast<int>(p.addr_size()), p.addr.data());
  return m;
}

}  // namespace

rt::task<rt::result<std::vector<net::ip_prefix>>> addresses(int index, call_options o) {
  msg_ptr m(nlmsg_alloc_simple(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP));
  ifaddrmsg ifa{};
  nlmsg_append(m.get(), &ifa, sizeof ifa, NLMSG_ALIGNTO);
  std::vector<net::ip_prefix> out;
  std::function<void(std::span<const std::uint8_t>)> each = [&out, index](std::span<const std::uint8_t> a) {
    auto p = parse_addr(a);
    if (p && p->first == index) out.push_back(p->second);
  };
  auto r = co_await dump(m.get(), RTM_NEWADDR, each, o);
  if (!r) co_return r.error();
  co_return out;
}

rt::task<rt::result<void>> add_address(int index, net::ip_prefix a, call_options o) {
  auto m = address_message(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, index, a);
  co_return co_await request_ack(m.get(), o);
}

rt::task<rt::result<void>> delete_address(int index, net::ip_prefix a, call_options o) {
  auto m = address_message(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, index, a);
  co_return co_await request_ack(m.get(), o);
}

rt::task<rt::result<bool>> converge_link(int index, std::vector<net::ip_prefix> wanted, std::uint32_t mtu,
                                         call_options o) {
  bool changed = false;
  auto have = co_await addresses(index, o);
  if (!have) co_return have.error();
  for (auto& a : *have) {
    const bool managed_family = std::any_of(wanted.begin(), wanted.end(), [&](auto& w) { return w.family == a.family; });
    const bool link_local = a.family == AF_INET6 && a.addr[0] == 0xfe && (a.addr[1] & 0xc0) == 0x80;
    if (!managed_family || link_local || std::find(wanted.begin(), wanted.end(), a) != wanted.end()) continue;
    auto d = co_await delete_address(index, a, o);
    if (!d) co_return d.error();
    changed = true;
  }
  for (auto& w : wanted) {
    if (std::find(have->begin(), have->end(), w) != have->end()) continue;
    auto r = co_await add_address(index, w, o);
    if (!r) co_return r.error();
    changed = true;
  }
  // The link itself: MTU and up.
  auto l = co_await get_link(index, o);
  if (!l) co_return l.error();
  if (!l->up || (mtu && l->mtu != mtu)) {
    auto r = co_await set_link(index, mtu, true, o);
    if (!r) co_return r.error();
    changed = true;
  }
  co_return changed;
}

}  // namespace brood::netlink
