// segment_plan: view → the vxlan/bridge pairs this node wants, and whether the view is known
// well enough for anything to be taken away.
#include <brood/agent/segment_plan.hpp>

#include <brood/records/names.hpp>

#include <algorithm>
#include <tuple>

namespace brood::agent {

std::string segment_alias(std::uint32_t vni) { return "brood vlan " + std::to_string(vni); }
bool is_segment_alias(std::string_view alias) { return alias.starts_with("brood vlan "); }

namespace {
netlink::mac_address mac_of(const crypto::public_key& pk) {
  // id10 is 40 bits of the key's hash and unique in a brood (colliding ones are refused), so
  // the MAC is too; 02: unicast, locally administered.
  const auto id = crypto::id10(pk);
  netlink::mac_address mac{0x02};
  for (std::size_t i = 0; i < 5; ++i) mac[i + 1] = static_cast<std::uint8_t>(std::stoul(id.substr(2 * i, 2), nullptr, 16));
  return mac;
}
}  // namespace

segment_plan plan_segments(const records::view& v, const crypto::public_key& self) {
  segment_plan out;
  const auto* node = v.find_node(self);
  if (!v.meta || !v.vlans || !node) return out;
  auto vtep = net::ip_prefix::parse_address(node->ip);
  if (!vtep) return out;
  const auto own_shard = records::shard_of(self, v.meta->shards);
  out.complete = true;
  for (auto& vlan : v.vlans->members) {
    const auto* shard = v.member_shard(vlan.vni, own_shard);
    if (!shard) {
      out.complete = false;  // this vlan's membership of ours is not known yet
      continue;
    }
    const auto mine = std::find_if(shard->members.begin(), shard->members.end(),
                                   [&](const records::member_record& m) { return m.pk == self; });
    if (mine == shard->members.end()) continue;
    const std::string why = "vlan " + std::to_string(vlan.vni) + ": ";
    auto subnet = net::ip_prefix::parse(vlan.subnet);
    auto ip = net::ip_prefix::parse_address(mine->ip);
    if (!subnet || !ip || !subnet->contains(*ip)) {
      out.refused.push_back(why + mine->ip + " is not in " + vlan.subnet);
      continue;
    }
    ip->length = subnet->length;
    if (!ip->is_host_address()) {
      out.refused.push_back(why + mine->ip + " is not a host address of " + vlan.subnet);
      continue;
    }
    // Two members on one address (only a scout's mistake, or a forged write it signed): the
    // one signed first keeps it, every reader deciding the same way.
    bool taken = false;
    for (auto& [_, other_shard] : v.members.at(vlan.vni))
      for (auto& m : other_shard.members)
        if (m.pk != self && std::tie(m.ts, m.pk) < std::tie(mine->ts, mine->pk)) {
          auto theirs = net::ip_prefix::parse_address(m.ip);
          taken = taken || (theirs && theirs->addr == ip->addr && theirs->family == ip->family);
        }
    if (taken) {
      out.refused.push_back(why + mine->ip + " is held by another member signed before this node's");
      continue;
    }
    segment s;
    s.vni = vlan.vni;
    s.vxlan = "vxlan" + std::to_string(vlan.vni);
    s.bridge = "br" + std::to_string(vlan.vni);
    s.svi = *ip;
    s.vtep = *vtep;
    s.mac = mac_of(self);
    out.segments.push_back(std::move(s));
  }
  std::sort(out.segments.begin(), out.segments.end(), [](const segment& a, const segment& b) { return a.vni < b.vni; });
  return out;
}

}  // namespace brood::agent
