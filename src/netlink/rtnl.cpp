// rtnetlink requests (RTM_*LINK, RTM_*ADDR) built with libnl's message helpers and carried by
// netlink::socket; answers parsed with nlmsg_parse against a policy.
#include <brood/netlink/rtnl.hpp>

#include <brood/netlink/message.hpp>
#include <brood/netlink/socket.hpp>
#include <brood/rt/timer.hpp>

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace brood::netlink {

namespace {

struct msg_deleter {
  void operator()(nl_msg* m) const noexcept { nlmsg_free(m); }
};
using msg_ptr = std::unique_ptr<nl_msg, msg_deleter>;

std::span<const std::uint8_t> bytes_of(nl_msg* m) {
  const nlmsghdr* h = nlmsg_hdr(m);
  return {reinterpret_cast<const std::uint8_t*>(h), h->nlmsg_len};
}

rt::io_options deadline(const call_options& o) { return rt::io_options{rt::clock::now() + o.timeout}; }

/// An aligned copy of one message, for libnl's parsers.
struct aligned {
  std::vector<std::uint64_t> storage;
  nlmsghdr* h;
  explicit aligned(std::span<const std::uint8_t> m) : storage((m.size() + 7) / 8) {
    std::memcpy(storage.data(), m.data(), m.size());
    h = reinterpret_cast<nlmsghdr*>(storage.data());
  }
};

/// Sends `m` (which asks for an ACK) and waits for the ACK.
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

rt::result<link_info> parse_link(std::span<const std::uint8_t> m) {
  if (m.size() < NLMSG_LENGTH(sizeof(ifinfomsg))) return std::errc::bad_message;
  aligned a(m);
  nla_policy policy[IFLA_MAX + 1] = {};
  policy[IFLA_IFNAME].type = NLA_STRING;
  policy[IFLA_MTU].type = NLA_U32;
  policy[IFLA_LINKINFO].type = NLA_NESTED;
  nlattr* tb[IFLA_MAX + 1] = {};
  if (nlmsg_parse(a.h, sizeof(ifinfomsg), tb, IFLA_MAX, policy) < 0) return std::errc::bad_message;
  const auto* ifi = static_cast<const ifinfomsg*>(nlmsg_data(a.h));
  link_info l;
  l.index = ifi->ifi_index;
  l.up = (ifi->ifi_flags & IFF_UP) != 0;
  if (tb[IFLA_IFNAME]) l.name = nla_get_string(tb[IFLA_IFNAME]);
  if (tb[IFLA_MTU]) l.mtu = nla_get_u32(tb[IFLA_MTU]);
  if (tb[IFLA_LINKINFO]) {
    nla_policy info_policy[IFLA_INFO_MAX + 1] = {};
    info_policy[IFLA_INFO_KIND].type = NLA_STRING;
    nlattr* info[IFLA_INFO_MAX + 1] = {};
    if (nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], info_policy) == 0 && info[IFLA_INFO_KIND])
      l.kind = nla_get_string(info[IFLA_INFO_KIND]);
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

rt::task<rt::result<link_info>> get_link(std::string name, call_options o) {
  if (name.empty() || name.size() >= IFNAMSIZ) co_return std::errc::invalid_argument;
  msg_ptr m(nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST));
  ifinfomsg ifi{};
  nlmsg_append(m.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO);
  nla_put_string(m.get(), IFLA_IFNAME, name.c_str());
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

rt::task<rt::result<void>> create_link(std::string name, std::string kind, call_options o) {
  if (name.empty() || name.size() >= IFNAMSIZ) co_return std::errc::invalid_argument;
  msg_ptr m(nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL));
  ifinfomsg ifi{};
  nlmsg_append(m.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO);
  nla_put_string(m.get(), IFLA_IFNAME, name.c_str());
  nlattr* info = nla_nest_start(m.get(), IFLA_LINKINFO | NLA_F_NESTED);
  nla_put_string(m.get(), IFLA_INFO_KIND, kind.c_str());
  nla_nest_end(m.get(), info);
  co_return co_await request_ack(m.get(), o);
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

rt::task<rt::result<std::vector<net::ip_prefix>>> addresses(int index, call_options o) {
  msg_ptr m(nlmsg_alloc_simple(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP));
  ifaddrmsg ifa{};
  nlmsg_append(m.get(), &ifa, sizeof ifa, NLMSG_ALIGNTO);
  auto s = socket::open(NETLINK_ROUTE);
  if (!s) co_return s.error();
  std::vector<net::ip_prefix> out;
  auto take = [&](std::span<const std::uint8_t> a, std::uint16_t type) -> rt::result<bool> {
    if (type == NLMSG_DONE) return true;
    if (type == NLMSG_ERROR) {
      auto r = ack_result(a);
      return r ? rt::result<bool>(true) : rt::result<bool>(r.error());
    }
    if (type != RTM_NEWADDR) return false;
    auto p = parse_addr(a);
    if (p && p->first == index) out.push_back(p->second);
    return false;
  };
  auto r = co_await s->exchange(bytes_of(m.get()), deadline(o), take);
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
  auto s = socket::open(NETLINK_ROUTE);
  if (!s) co_return s.error();
  msg_ptr q(nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST));
  ifinfomsg ifi{};
  ifi.ifi_index = index;
  nlmsg_append(q.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO);
  rt::result<link_info> l = std::errc::bad_message;
  auto take = [&l](std::span<const std::uint8_t> a, std::uint16_t type) -> rt::result<bool> {
    if (type == NLMSG_ERROR) {
      auto r = ack_result(a);
      return r ? rt::result<bool>(std::errc::bad_message) : rt::result<bool>(r.error());
    }
    if (type != RTM_NEWLINK) return false;
    l = parse_link(a);
    return true;
  };
  auto got = co_await s->exchange(bytes_of(q.get()), deadline(o), take);
  if (!got) co_return got.error();
  if (!l) co_return l.error();
  if (!l->up || (mtu && l->mtu != mtu)) {
    auto r = co_await set_link(index, mtu, true, o);
    if (!r) co_return r.error();
    changed = true;
  }
  co_return changed;
}

link_watcher::link_watcher(link_watcher&& o) noexcept : _s(std::move(o._s)) {}
link_watcher::~link_watcher() = default;

rt::result<link_watcher> link_watcher::open() {
  auto s = socket::open(NETLINK_ROUTE, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR);
  if (!s) return s.error();
  link_watcher w;
  w._s = std::make_unique<socket>(std::move(*s));
  return w;
}

rt::task<rt::result<std::vector<link_watcher::event>>> link_watcher::next(rt::io_options o) {
  std::vector<event> out;
  auto take = [&out](std::span<const std::uint8_t> a, std::uint16_t type) -> rt::result<bool> {
    if (type == RTM_NEWLINK || type == RTM_DELLINK) {
      if (auto l = parse_link(a))
        out.push_back({type == RTM_NEWLINK ? event::what::link_new : event::what::link_del, l->index, l->name});
    } else if (type == RTM_NEWADDR || type == RTM_DELADDR) {
      if (auto p = parse_addr(a))
        out.push_back({type == RTM_NEWADDR ? event::what::addr_new : event::what::addr_del, p->first, {}});
    }
    return false;
  };
  while (out.empty()) {
    auto r = co_await _s->receive(o, take);
    if (!r) co_return r.error();
  }
  co_return out;
}

}  // namespace brood::netlink
