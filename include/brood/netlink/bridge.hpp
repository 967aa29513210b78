// netlink bridge ports: the per-port flags brood sets on a vlan's VXLAN port (source-MAC
// learning off, ARP/ND suppression on), read and set through AF_BRIDGE link messages as
// `bridge link` does.
#pragma once

#include <brood/netlink/link.hpp>

#include <map>

namespace brood::netlink {

struct bridge_port_flags {
  bool learning = true;         // IFLA_BRPORT_LEARNING
  bool neigh_suppress = false;  // IFLA_BRPORT_NEIGH_SUPPRESS
  friend bool operator==(const bridge_port_flags&, const bridge_port_flags&) = default;
};

/// Every bridge port's flags, by link index.
rt::task<rt::result<std::map<int, bridge_port_flags>>> bridge_ports(call_options o = {});
rt::task<rt::result<void>> set_bridge_port(int index, bridge_port_flags f, call_options o = {});

}  // namespace brood::netlink
