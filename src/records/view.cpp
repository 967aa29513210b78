// Lookups over a view and the diff of two views.
#include <brood/records/view.hpp>

#include <algorithm>
#include <set>

namespace brood::records {

std::vector<const node_record*> view::nodes() const {
  std::vector<const node_record*> out;
  for (auto& [_, shard] : node_shards)
    for (auto& n : shard.members) out.push_back(&n);
  return out;
}

const node_record* view::find_node(const crypto::public_key& pk) const {
  for (auto& [_, shard] : node_shards)
    for (auto& n : shard.members)
      if (n.pk == pk) return &n;
  return nullptr;
}

std::map<std::uint32_t, std::string> view::memberships(const crypto::public_key& self) const {
  std::map<std::uint32_t, std::string> out;
  for (auto& [vni, shards] : members)
    for (auto& [_, shard] : shards)
      for (auto& m : shard.members)
        if (m.pk == self) out[vni] = m.ip;
  return out;
}

const set_view<member_record>* view::member_shard(std::uint32_t vni, const std::string& shard) const {
  auto v = members.find(vni);
  if (v == members.end()) return nullptr;
  auto s = v->second.find(shard);
  return s == v->second.end() ? nullptr : &s->second;
}

bool view::judged_down(std::string_view id10, std::int64_t now_ms, std::int64_t fresh_ms,
                       const std::vector<crypto::public_key>& scouts) const {
  if (scouts.empty()) return false;
  for (auto& pk : scouts) {
    auto it = liveness.find(crypto::id10(pk));
    if (it == liveness.end()) return false;
    bool fresh_evidence = false;
    for (auto& [_, l] : it->second) {
      if (now_ms - l.ts > fresh_ms || l.ts - now_ms > max_liveness_ahead_ms) continue;
      fresh_evidence = true;
      if (!std::binary_search(l.down.begin(), l.down.end(), id10)) return false;  // this process hears it
    }
    if (!fresh_evidence) return false;
  }
  return true;
}

bool view_diff::empty() const noexcept {
  return !meta_changed && nodes_added.empty() && nodes_removed.empty() && nodes_changed.empty() &&
         vlans_added.empty() && vlans_removed.empty() && vlans_changed.empty() && memberships_changed.empty();
}

namespace {
// Records compare without their ts: a re-signed record with the same content changes nothing.
bool same(const node_record& a, const node_record& b) {
  return a.role == b.role && a.ip == b.ip && a.endpoints == b.endpoints;
}
bool same(const vlan_record& a, const vlan_record& b) { return a.name == b.name && a.subnet == b.subnet; }

template <class Key, class T, class Added, class Removed, class Changed>
void diff_maps(const std::map<Key, const T*>& a, const std::map<Key, const T*>& b, Added& added, Removed& removed,
               Changed& changed) {
  for (auto& [k, v] : b) {
    auto it = a.find(k);
    if (it == a.end())
      added.push_back(k);
    else if (!same(*it->second, *v))
      changed.push_back(k);
  }
  for (auto& [k, _] : a)
    if (!b.count(k)) removed.push_back(k);
}

std::map<crypto::public_key, const node_record*> index_nodes(const view& v) {
  std::map<crypto::public_key, const node_record*> out;
  for (auto* n : v.nodes()) out[n->pk] = n;
  return out;
}
std::map<std::uint32_t, const vlan_record*> index_vlans(const view& v) {
  std::map<std::uint32_t, const vlan_record*> out;
  if (v.vlans)
    for (auto& vl : v.vlans->members) out[vl.vni] = &vl;
  return out;
}
}  // namespace

view_diff diff(const view& before, const view& after, const crypto::public_key& self) {
  view_diff d;
  auto meta_content = [](const std::optional<meta_record>& m) {
    return m ? std::make_tuple(m->asn, m->subnet, m->kv, m->keepalive, m->stale, m->shards, m->scouts)
             : decltype(std::make_tuple(m->asn, m->subnet, m->kv, m->keepalive, m->stale, m->shards, m->scouts)){};
  };
  d.meta_changed = before.meta.has_value() != after.meta.has_value() || meta_content(before.meta) != meta_content(after.meta);
  diff_maps(index_nodes(before), index_nodes(after), d.nodes_added, d.nodes_removed, d.nodes_changed);
  diff_maps(index_vlans(before), index_vlans(after), d.vlans_added, d.vlans_removed, d.vlans_changed);
  auto mb = before.memberships(self), ma = after.memberships(self);
  std::set<std::uint32_t> vnis;
  for (auto& [vni, _] : mb) vnis.insert(vni);
  for (auto& [vni, _] : ma) vnis.insert(vni);
  for (auto vni : vnis) {
    auto x = mb.find(vni), y = ma.find(vni);
    if (x == mb.end() || y == ma.end() || x->second != y->second) d.memberships_changed.push_back(vni);
  }
  return d;
}

}  // namespace brood::records
