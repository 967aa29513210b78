// netlink bridge ports: the per-port flags brood sets on a vlan's VXLAN port (source-MAC
// learning off, ARP/ND suppression on), read and set through AF_BRIDGE link messages as
// `bridge link` does; and the bridges' forwarding database as `bridge fdb show` reads it.
#pragma once

#include <brood/netlink/link.hpp>

#include <map>

namespace brood::netlink {

struct bridge_port_flags {
  bool learning = true;         // IFLA_BRPORT_LEARNING
  bool neigh_suppress = false;  // IFLA_BRPORT_NEIGH_SUPPRESS
  friend bool operator==(const bridge_port_flags&, const bridge_port_flags&) = default;
};

/// One forwarding entry: a MAC on a port, and for a VXLAN port's own entries the remote VTEP
/// it goes to (an all-zero MAC with a VTEP: that VTEP gets the vlan's broadcasts).
struct fdb_entry {
  int index = 0;  // the port
  mac_address mac{};
  std::optional<net::ip_prefix> dst;
  bool extern_learn = false;  // put there by FRR (EVPN), not learnt from frames
};

/// Every entry of every bridge and VXLAN device.
rt::task<rt::result<std::vector<fdb_entry>>> fdb_entries(call_options o = {});

/// Every bridge port's flags, by link index.
rt::task<rt::result<std::map<int, bridge_port_flags>>> bridge_ports(call_options o = {});
rt::task<rt::result<void>> set_bridge_port(int index, bridge_port_flags f, call_options o = {});

}  // namespace brood::netlink
