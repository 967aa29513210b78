// routing_plan: view + mesh plan → frr::config.
#include <brood/agent/routing_plan.hpp>

#include <map>
#include <set>

namespace brood::agent {

std::optional<frr::config> plan_routing(const records::view& v, const crypto::public_key& self, const plan& mesh,
                                        std::string hostname) {
  const auto* me = v.find_node(self);
  if (!v.meta || v.meta->asn == 0 || !me) return std::nullopt;
  std::map<std::string, const records::node_record*> by_id;
  for (auto& [_, shard] : v.node_shards)
    for (auto& n : shard.members) by_id.emplace(crypto::id10(n.pk), &n);

  frr::config c;
  c.hostname = std::move(hostname);
  c.asn = v.meta->asn;
  c.router_id = me->ip;
  c.route_reflector = me->role == "scout";
  std::set<std::string> addresses{me->ip};
  for (auto& p : mesh.peers) {
    auto it = by_id.find(p.id10);
    if (p.id10.empty() || it == by_id.end()) continue;  // a peer the view does not hold: no session
    const auto& node = *it->second;
    // One session per address, never to this node's own: a duplicate (which the mesh plan
    // resolves for WireGuard) gets none rather than a configuration FRR refuses whole.
    if (!addresses.insert(node.ip).second) continue;
    const bool scout = node.role == "scout";
    if (!c.route_reflector && !scout) continue;  // workers talk to the reflectors only
    frr::neighbor n;
    n.address = node.ip;
    n.description = node.role + " " + p.id10;
    n.name = p.id10;
    n.client = c.route_reflector && !scout;
    if (n.client && v.vlans)
      for (auto& vlan : v.vlans->members) {
        auto shards = v.members.find(vlan.vni);
        if (shards == v.members.end()) continue;
        bool member = false;
        for (auto& [_, shard] : shards->second)
          for (auto& m : shard.members) member = member || m.pk == node.pk;
        if (member) n.vnis.push_back(vlan.vni);
      }
    c.neighbors.push_back(std::move(n));
  }
  return c;
}

}  // namespace brood::agent
