// segment_plan: the vlans this node is a member of, as the layer-2 devices it should have (SPEC
// §5.7) — per vlan a VXLAN port `vxlan<vni>` whose VTEP is the node's overlay address, on a
// bridge `br<vni>` holding the node's vlan address. Pure: the view in, value types out.
#pragma once

#include <brood/net/ip_prefix.hpp>
#include <brood/netlink/link.hpp>
#include <brood/records/view.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace brood::agent {

/// MTU of a vlan's devices: wg0's 1420 less VXLAN's 50 bytes of outer headers.
inline constexpr std::uint32_t segment_mtu = 1370;
inline constexpr std::uint16_t vxlan_port = 4789;

struct segment {
  std::uint32_t vni = 0;
  std::string vxlan, bridge;  // "vxlan<vni>", "br<vni>"
  net::ip_prefix svi;         // the node's address in the vlan, with the vlan subnet's length
  net::ip_prefix vtep;        // the node's overlay address (a host prefix)
  netlink::mac_address mac{}; // the bridge's: 02 and the node's id10, the same on every vlan
  friend bool operator==(const segment&, const segment&) = default;
};

struct segment_plan {
  std::vector<segment> segments;  // by vni
  /// `_vl` and this node's `_m` shard of every vlan have been read: devices of vlans that are
  /// not planned may go. Until then nothing is taken away (fail static).
  bool complete = false;
  std::vector<std::string> refused;  // vlans left out, each with why
};

/// The alias brood gives the devices it makes, and by which it knows them: a device without it
/// is never touched.
std::string segment_alias(std::uint32_t vni);
bool is_segment_alias(std::string_view alias);

segment_plan plan_segments(const records::view& v, const crypto::public_key& self);

}  // namespace brood::agent
