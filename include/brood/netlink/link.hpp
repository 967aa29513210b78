// netlink links: the kernel's routing netlink (RTM_*LINK) from the reactor. Each call opens a
// NETLINK_ROUTE socket, sends one request built with libnl's message helpers, and reads the
// answer through io_uring with a deadline — nothing blocks the reactor.
#pragma once

#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace brood::netlink {

struct link_info {
  int index = 0;
  std::string name;
  std::string kind;  // IFLA_INFO_KIND: "wireguard", "vxlan", "bridge", "veth"; "" for tun and others
  std::uint32_t mtu = 0;
  bool up = false;  // IFF_UP set
};

/// Every call takes a deadline; the default gives the kernel two seconds.
struct call_options {
  std::chrono::milliseconds timeout{2000};
};

/// The link called `name`, or with index `index`; std::errc::no_such_device if there is none.
rt::task<rt::result<link_info>> get_link(std::string name, call_options o = {});
rt::task<rt::result<link_info>> get_link(int index, call_options o = {});
/// Creates link `name` of `kind` (no extra attributes: "wireguard", "bridge").
rt::task<rt::result<void>> create_link(std::string name, std::string kind, call_options o = {});
rt::task<rt::result<void>> delete_link(int index, call_options o = {});
/// Sets the MTU (when non-zero) and brings the link up or down.
rt::task<rt::result<void>> set_link(int index, std::uint32_t mtu, bool up, call_options o = {});

}  // namespace brood::netlink
