// rtnl: the kernel's routing netlink (links and addresses) from the reactor. Each call opens a
// NETLINK_ROUTE socket, sends one request built with libnl's message helpers, and reads the
// answer through io_uring with a deadline — nothing blocks the reactor. link_watcher
// subscribes to link and address events, so that an interface or address removed by hand is
// noticed at once instead of at the next sync.
#pragma once

#include <brood/net/ip_prefix.hpp>
#include <brood/rt/io_op.hpp>
#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>

#include <chrono>
#include <memory>
#include <cstdint>
#include <string>
#include <vector>

namespace brood::netlink {

class socket;

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

/// The link called `name`; std::errc::no_such_device if there is none.
rt::task<rt::result<link_info>> get_link(std::string name, call_options o = {});
/// Creates link `name` of `kind` (no extra attributes: "wireguard", "bridge").
rt::task<rt::result<void>> create_link(std::string name, std::string kind, call_options o = {});
rt::task<rt::result<void>> delete_link(int index, call_options o = {});
/// Sets the MTU (when non-zero) and brings the link up or down.
rt::task<rt::result<void>> set_link(int index, std::uint32_t mtu, bool up, call_options o = {});

/// The addresses on link `index` (with their prefix lengths), both families.
rt::task<rt::result<std::vector<net::ip_prefix>>> addresses(int index, call_options o = {});
rt::task<rt::result<void>> add_address(int index, net::ip_prefix a, call_options o = {});
rt::task<rt::result<void>> delete_address(int index, net::ip_prefix a, call_options o = {});

/// Makes link `index` carry exactly `wanted` among addresses of the families `wanted` uses
/// (others it holds, like IPv6 link-local, are left alone), with MTU `mtu`, up. Returns
/// whether it changed anything.
rt::task<rt::result<bool>> converge_link(int index, std::vector<net::ip_prefix> wanted, std::uint32_t mtu,
                                         call_options o = {});

/// Link and address events, from the moment it is opened.
/// Lifetime: one reader at a time; destroying it closes the subscription.
class link_watcher {
 public:
  struct event {
    enum class what { link_new, link_del, addr_new, addr_del } kind;
    int index = 0;
    std::string name;  // link events
  };
  static rt::result<link_watcher> open();
  link_watcher(link_watcher&& o) noexcept;
  link_watcher& operator=(link_watcher&&) = delete;
  ~link_watcher();
  /// The next batch of events (at least one), or the error (std::errc::no_buffer_space when
  /// the kernel dropped events: the caller must then re-read everything).
  rt::task<rt::result<std::vector<event>>> next(rt::io_options o = {});

 private:
  link_watcher() = default;
  std::unique_ptr<socket> _s;
};

}  // namespace brood::netlink
