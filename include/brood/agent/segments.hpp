// segments: the node's vlan devices made to match a segment_plan through netlink — per vlan a
// bridge with the node's MAC and vlan address, and a VXLAN port on it (VNI, the overlay address
// as VTEP, learning off, neigh_suppress on), all at segment_mtu and up. By difference only;
// devices of vlans no longer planned go only when the plan is complete; a device brood did not
// make (no brood alias) is never touched, and the vlan it blocks is named in status; each vlan
// on its own, so one that fails stops no other.
// Lifetime: one apply at a time.
#pragma once

#include <brood/agent/segment_plan.hpp>
#include <brood/json/writer.hpp>
#include <brood/netlink/bridge.hpp>
#include <brood/netlink/link.hpp>
#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace brood::agent {

class segments {
 public:
  /// True when anything changed. Reads the devices again only when the plan changed, a link
  /// event came (link_changed), or every few seconds.
  rt::task<rt::result<bool>> apply(const segment_plan& p);
  void link_changed() noexcept { _dirty = true; }

  /// Its section of status.json: "vlans" (the segments in place) and "vlan_problems".
  void describe(json::writer& w) const;
  std::uint64_t restores() const noexcept { return _restores; }

 private:
  rt::task<rt::result<bool>> converge(const segment_plan& p);
  /// One vlan's pair; `why` says, for people, what stopped it.
  rt::task<rt::result<bool>> converge_one(const segment& s, const std::vector<netlink::link_info>& links,
                                          const std::map<int, netlink::bridge_port_flags>& ports, std::string& why);

  std::vector<segment> _planned;  // the plan last converged to
  bool _planned_complete = false;
  std::vector<std::string> _planned_refused;
  std::int64_t _retry_at_ms = 0;  // after a failed pass
  std::vector<segment> _applied;  // what of it is in place (not blocked by a foreign device)
  struct learnt {
    std::vector<std::string> vteps;  // remote VTEPs the vlan floods to (EVPN type-3 routes)
    std::size_t macs = 0;            // remote MACs (type-2 routes)
  };
  std::map<std::uint32_t, learnt> _learnt;  // by vni, at the last pass
  std::vector<std::string> _problems;  // conflicts and refusals of the last apply
  bool _dirty = true;
  std::int64_t _checked_ms = 0;
  std::uint64_t _restores = 0;  // devices created or put right after the first apply
  bool _first = true;
};

}  // namespace brood::agent
