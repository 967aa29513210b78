// link_watcher: RTNLGRP_LINK and the address groups, parsed as they arrive.
#include <brood/netlink/watch.hpp>

#include "rtnl_request.hpp"

#include <brood/netlink/socket.hpp>

#include <linux/rtnetlink.h>

namespace brood::netlink {

using namespace detail;

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
