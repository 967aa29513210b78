// netlink links: the kernel's routing netlink (RTM_*LINK) from the reactor — links read, listed,
// created (bridges and VXLAN devices with their attributes), enslaved, renamed in their alias,
// deleted. Each call opens a NETLINK_ROUTE socket, sends one request built with libnl's message
// helpers, and reads the answer through io_uring with a deadline — nothing blocks the reactor.
#pragma once

#include <brood/net/ip_prefix.hpp>
#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace brood::netlink {

using mac_address = std::array<std::uint8_t, 6>;

/// A VXLAN device's settings (IFLA_VXLAN_*) as brood makes them: one VNI, a local VTEP address,
/// a UDP port, source-MAC learning (off where EVPN fills the FDB), and the outer UDP checksum.
struct vxlan_settings {
  std::uint32_t vni = 0;
  net::ip_prefix local;       // host prefix of the VTEP address (IFLA_VXLAN_LOCAL or LOCAL6)
  std::uint16_t port = 4789;  // UDP destination port
  bool learning = false;
  // Outer UDP checksums sent and required (IFLA_VXLAN_UDP_CSUM over IPv4; over IPv6 the
  // ZERO_CSUM6_TX/RX pair, both set when off). Off as RFC 7348 §5 recommends: a tunnel inside
  // WireGuard is authenticated packet by packet, and a checksum over every byte is CPU the
  // encryption needs.
  bool udp_checksum = false;
  friend bool operator==(const vxlan_settings&, const vxlan_settings&) = default;
};

struct link_info {
  int index = 0;
  std::string name;
  std::string kind;  // IFLA_INFO_KIND: "wireguard", "vxlan", "bridge", "veth"; "" for tun and others
  std::uint32_t mtu = 0;
  bool up = false;  // IFF_UP set
  int master = 0;   // the bridge it is a port of (IFLA_MASTER), 0 for none
  std::optional<mac_address> mac;      // IFLA_ADDRESS, for Ethernet-like links
  std::string alias;                   // IFLA_IFALIAS: who made it, for links brood makes
  std::optional<vxlan_settings> vxlan; // kind "vxlan"
};

/// A link to create. Alias, MTU, MAC and master are set in the same request.
struct new_link {
  std::string name;
  std::string kind;  // "bridge", "vxlan", "wireguard"
  std::uint32_t mtu = 0;
  std::optional<mac_address> mac;
  std::string alias;
  int master = 0;
  std::optional<vxlan_settings> vxlan;  // required for kind "vxlan"
};

/// Every call takes a deadline; the default gives the kernel two seconds.
struct call_options {
  std::chrono::milliseconds timeout{2000};
};

/// The link called `name`, or with index `index`; std::errc::no_such_device if there is none.
rt::task<rt::result<link_info>> get_link(std::string name, call_options o = {});
rt::task<rt::result<link_info>> get_link(int index, call_options o = {});
/// Every link, in index order.
rt::task<rt::result<std::vector<link_info>>> list_links(call_options o = {});
/// Creates link `name` of `kind` (no extra attributes: "wireguard", "bridge").
rt::task<rt::result<void>> create_link(std::string name, std::string kind, call_options o = {});
/// Creates `l` with all its attributes; std::errc::file_exists if the name is taken. The alias
/// is set by a second request (the kernel takes none at creation): a crash between the two
/// leaves a link without it.
rt::task<rt::result<void>> create_link(new_link l, call_options o = {});
/// Makes link `index` a port of bridge `master` (0: of none).
rt::task<rt::result<void>> set_link_master(int index, int master, call_options o = {});
rt::task<rt::result<void>> set_link_mac(int index, mac_address mac, call_options o = {});
rt::task<rt::result<void>> set_link_alias(int index, std::string alias, call_options o = {});
rt::task<rt::result<void>> delete_link(int index, call_options o = {});
/// Sets the MTU (when non-zero) and brings the link up or down.
rt::task<rt::result<void>> set_link(int index, std::uint32_t mtu, bool up, call_options o = {});

}  // namespace brood::netlink
