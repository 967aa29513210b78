// frr::config: the whole FRR configuration of one node as a value — BGP with EVPN over the
// overlay, BFD on every session, and on route reflectors the per-client outbound filters that
// keep each vlan's routes to its members. It knows nothing of brood's records: the agent fills
// it from the view.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace brood::frr {

/// BFD timers of every BGP session (bfdd's profile).
struct bfd_timers {
  unsigned detect_multiplier = 3;
  unsigned receive_ms = 200;
  unsigned transmit_ms = 200;
  friend bool operator==(const bfd_timers&, const bfd_timers&) = default;
};

struct neighbor {
  std::string address;      // the peer's overlay address
  std::string description;  // "scout <id10>", "worker <id10>"
  /// On a route reflector: a client, sent and taken from the routes of exactly these VNIs (its
  /// vlans); a peer that is no client (another reflector) exchanges everything.
  bool client = false;
  std::vector<std::uint32_t> vnis;
  std::string name;  // names its route-map ("<id10>"): [0-9a-z] only
  friend bool operator==(const neighbor&, const neighbor&) = default;
};

struct config {
  std::string hostname;  // the host's, as FRR's daemons take it by default ("": none rendered)
  std::uint32_t asn = 0;
  std::string router_id;  // the node's overlay address
  bool route_reflector = false;
  std::vector<neighbor> neighbors;  // in the order given
  bfd_timers bfd;
  friend bool operator==(const config&, const config&) = default;
};

}  // namespace brood::frr
