// frr policy change: what takes a route reflector's running FRR from one config to the next
// when the two differ only in clients' vlans — the change every vlan membership makes on a
// reflector, and the one on the path of every member-add. It is a few lines of each client's
// VNI list and a soft refresh of that client's session (FRR applies a changed route-map to the
// routes it already has only after its delay timer), sent on bgpd's vty socket: milliseconds,
// where frr-reload.py takes half a second to find the same lines.
#pragma once

#include <brood/frr/config.hpp>

#include <optional>
#include <string>
#include <vector>

namespace brood::frr {

struct policy_change {
  std::vector<std::string> commands;  // configuration commands (vtysh's "configure terminal")
  std::vector<std::string> refresh;   // addresses whose routes are filtered again, both ways
  bool empty() const noexcept { return commands.empty(); }
};

/// The change from `from` (running, as render() wrote it) to `to`; nullopt when anything but
/// clients' VNIs differs, which only a full reload applies. Both must render.
std::optional<policy_change> plan_policy_change(const config& from, const config& to);

/// The lines bgpd is sent for a change, one command each: into configuration, the commands, out
/// again, then one clear per refreshed address.
std::vector<std::string> vty_commands(const policy_change& p);

}  // namespace brood::frr
