// routing_plan: the FRR configuration a node should run, from its view and its mesh plan (SPEC
// §7) — BGP EVPN over the overlay with BFD on every session; a worker peers with every scout,
// a scout reflects for every member and sends each only the routes of its own vlans (zero
// leakage), and peers plainly with the other scouts. The sessions follow the mesh plan's
// peers, so a node stale or removed leaves BGP as it leaves WireGuard (§5.5). Pure.
#pragma once

#include <brood/agent/peer_plan.hpp>
#include <brood/frr/config.hpp>
#include <brood/records/view.hpp>

#include <optional>

namespace brood::agent {

/// Nothing while the view lacks _meta, an ASN or this node's own record. `hostname` is the
/// host's, which FRR's daemons hold already (so that a reload finds nothing to change there).
std::optional<frr::config> plan_routing(const records::view& v, const crypto::public_key& self, const plan& mesh,
                                        std::string hostname = {});

}  // namespace brood::agent
