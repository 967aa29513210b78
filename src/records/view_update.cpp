// Verifying, decrypting and folding answers into a view, all-or-nothing per set.
#include <brood/records/view_update.hpp>

#include "values.hpp"

#include <algorithm>

namespace brood::records {

std::vector<crypto::public_key> current_signers(const view& v, const trust_store& t) {
  if (!t.scouts.empty()) return t.scouts;
  if (v.meta) return v.meta->scouts;
  return {};
}

void apply_meta(view& v, trust_store& t, const names& n, const texts& answer, std::vector<problem>& problems) {
  const auto owner = n.meta();
  std::optional<meta_record> best;
  for (auto& text : answer) {
    auto m = decode_meta(text, owner, t.scouts);
    if (!m) {
      problems.push_back({owner, m.error()});
      continue;
    }
    if (!best || m->ts > best->ts) best = std::move(*m);
  }
  if (!best) return;
  if (best->ts < t.highest("meta") || static_cast<std::int64_t>(best->kv) < t.highest("meta.kv")) {
    problems.push_back({owner, error::replayed});
    return;
  }
  (void)t.admit("meta", best->ts);
  (void)t.admit("meta.kv", static_cast<std::int64_t>(best->kv));
  if (!t.scouts.empty()) t.scouts = best->scouts;
  v.meta = std::move(*best);
}

namespace {

/// The generic all-or-nothing rule for a set under one name: exactly one newest valid header,
/// not older than already seen; members valid, not replayed, one per identity; at least as
/// many as the header counts.
template <class Member, class Decode, class Identity, class Check>
void apply_set(std::optional<set_view<Member>>& slot, set_kind kind, trust_store& t, const std::string& owner,
               const std::vector<crypto::public_key>& signers, const texts& answer, Decode decode, Identity identity,
               Check check, std::vector<problem>& problems) {
  std::optional<set_header> header;
  std::vector<std::pair<std::string, Member>> members;  // identity, record
  for (auto& text : answer) {
    if (is_set_header(text)) {
      auto h = decode_set_header(text, kind, owner, signers);
      if (!h)
        problems.push_back({owner, h.error()});
      else if (!header || h->ts > header->ts)
        header = *h;
      continue;
    }
    auto m = decode(text);
    if (!m) {
      problems.push_back({owner, m.error()});
      continue;
    }
    if (auto e = check(*m); e) {
      problems.push_back({owner, e});
      continue;
    }
    auto id = identity(*m);
    if (m->ts < t.highest(id)) {
      problems.push_back({owner, error::replayed});
      continue;
    }
    auto same = std::find_if(members.begin(), members.end(), [&](auto& p) { return p.first == id; });
    if (same == members.end())
      members.emplace_back(std::move(id), std::move(*m));
    else if (m->ts > same->second.ts)
      same->second = std::move(*m);
  }
  if (!header) {
    problems.push_back({owner, error::no_header});
    return;
  }
  if (!t.admit(owner + " hdr", header->ts)) {
    problems.push_back({owner, error::replayed});
    return;
  }
  if (members.size() < header->count) {
    problems.push_back({owner, error::withheld});
    return;
  }
  set_view<Member> next{*header, {}};
  for (auto& [id, m] : members) {
    (void)t.admit(id, m.ts);
    next.members.push_back(std::move(m));
  }
  slot = std::move(next);
}

std::error_code no_error() { return {}; }

/// Runs apply_set on the entry `key` of a map of sets, writing it back only when accepted.
template <class Member, class Map, class Key, class... Rest>
void apply_in(Map& map, const Key& key, Rest&&... rest) {
  std::optional<set_view<Member>> slot;
  if (auto it = map.find(key); it != map.end()) slot = it->second;
  apply_set<Member>(slot, std::forward<Rest>(rest)...);
  if (slot) map[key] = std::move(*slot);
}

}  // namespace

void apply_node_shard(view& v, trust_store& t, const names& n, const std::string& shard, const texts& answer,
                      std::vector<problem>& problems) {
  const auto owner = n.node_shard(shard);
  const auto signers = current_signers(v, t);
  const unsigned shards = v.meta ? v.meta->shards : 16;
  apply_in<node_record>(
      v.node_shards, shard, set_kind::nodes, t, owner, signers, answer,
      [&](const std::string& text) { return decode_node(text, owner, signers, t.keys); },
      [](const node_record& r) { return "n " + crypto::base64url(r.pk); },
      [&](const node_record& r) -> std::error_code {
        if (shard_of(r.pk, shards) != shard) return error::misfiled;
        if (v.meta && !values::cidr_contains(v.meta->subnet, r.ip)) return error::bad_value;
        return no_error();
      },
      problems);
}

void apply_vlans(view& v, trust_store& t, const names& n, const texts& answer, std::vector<problem>& problems) {
  const auto owner = n.vlans();
  const auto signers = current_signers(v, t);
  apply_set<vlan_record>(
      v.vlans, set_kind::vlans, t, owner, signers, answer,
      [&](const std::string& text) { return decode_vlan(text, owner, signers, t.keys); },
      [](const vlan_record& r) { return "vl " + std::to_string(r.vni); }, [](const vlan_record&) { return no_error(); },
      problems);
  // A vlan gone from a valid, newer _vl takes this node's memberships in it along.
  if (v.vlans)
    std::erase_if(v.own_members, [&](auto& entry) {
      return std::none_of(v.vlans->members.begin(), v.vlans->members.end(),
                          [&](const vlan_record& vl) { return vl.vni == entry.first; });
    });
}

void apply_member_shard(view& v, trust_store& t, const names& n, const std::string& shard, std::uint32_t vni,
                        const texts& answer, std::vector<problem>& problems) {
  const auto owner = n.member_shard(shard, vni);
  const auto signers = current_signers(v, t);
  const unsigned shards = v.meta ? v.meta->shards : 16;
  const vlan_record* vlan = nullptr;
  if (v.vlans)
    for (auto& vl : v.vlans->members)
      if (vl.vni == vni) vlan = &vl;
  apply_in<member_record>(
      v.own_members, vni, set_kind::members, t, owner, signers, answer,
      [&](const std::string& text) { return decode_member(text, owner, signers, t.keys); },
      [vni](const member_record& r) { return "m " + std::to_string(vni) + " " + crypto::base64url(r.pk); },
      [&](const member_record& r) -> std::error_code {
        if (shard_of(r.pk, shards) != shard) return error::misfiled;
        if (vlan && !values::cidr_contains(vlan->subnet, r.ip)) return error::bad_value;
        return no_error();
      },
      problems);
}

void apply_trails(view& v, trust_store& t, const names& n, const texts& answer, std::vector<problem>& problems) {
  const auto owner = n.trails();
  const auto signers = current_signers(v, t);
  apply_set<trail_record>(
      v.trails, set_kind::trails, t, owner, signers, answer,
      [&](const std::string& text) { return decode_trail(text, owner, signers); },
      [](const trail_record& r) { return "t " + r.remote + " " + r.scout; },
      [](const trail_record&) { return no_error(); }, problems);
}

void apply_liveness(view& v, trust_store& t, const names& n, const texts& answer, std::vector<problem>& problems) {
  const auto owner = n.liveness();
  const auto signers = current_signers(v, t);
  for (auto& text : answer) {
    auto l = decode_liveness(text, owner, signers);
    if (!l) {
      problems.push_back({owner, l.error()});
      continue;
    }
    if (!t.admit("l " + l->scout, l->ts)) {
      problems.push_back({owner, error::replayed});
      continue;
    }
    v.liveness[l->scout] = std::move(*l);
  }
}

}  // namespace brood::records
