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

/// The generic all-or-nothing rule for a set under one name: the newest valid header, not older
/// than already seen; members valid, not replayed, one per identity; at least as many as the
/// header counts. When the header's digest matches the members' texts, its one signature
/// covers them all (the common case, and the cheap one: one Ed25519 check per name);
/// otherwise each member's own signature is checked. A set whose header and digest equal those
/// of `current` is byte-for-byte what was accepted before and is not decoded again. Returns
/// the set to store, or nothing to keep `current`.
template <class Member, class Decode, class Identity, class Check>
std::optional<set_view<Member>> apply_set(const set_view<Member>* current, set_kind kind, trust_store& t,
                                          const std::string& owner, const std::vector<crypto::public_key>& signers,
                                          const texts& answer, Decode decode, Identity identity, Check check,
                                          std::vector<problem>& problems) {
  std::optional<set_header> header;
  const std::string* header_text = nullptr;
  std::vector<std::string_view> member_texts;
  for (auto& text : answer) {
    if (!is_set_header(text)) {
      member_texts.push_back(text);
      continue;
    }
    const auto rule = t.verified_before(owner, text, signers) ? signer_rule::covered : signer_rule::scouts;
    auto h = decode_set_header(text, kind, owner, signers, rule);
    if (!h) {
      problems.push_back({owner, h.error()});
    } else if (!header || h->ts > header->ts) {
      header = std::move(*h);
      header_text = &text;
    }
  }
  if (!header) {
    problems.push_back({owner, error::no_header});
    return std::nullopt;
  }
  if (!t.admit(owner + " hdr", header->ts)) {
    problems.push_back({owner, error::replayed});
    return std::nullopt;
  }
  t.remember_verified(owner, *header_text, signers);
  const bool complete = members_digest(member_texts) == header->digest;
  if (complete && current && current->header == *header) return std::nullopt;  // unchanged
  const auto rule = complete ? signer_rule::covered : signer_rule::scouts;
  std::vector<std::pair<std::string, Member>> members;  // identity, record
  for (auto text : member_texts) {
    auto m = decode(std::string(text), rule);
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
  if (members.size() < header->count) {
    problems.push_back({owner, error::withheld});
    return std::nullopt;
  }
  set_view<Member> next{*header, {}};
  for (auto& [id, m] : members) {
    (void)t.admit(id, m.ts);
    next.members.push_back(std::move(m));
  }
  return next;
}

std::error_code no_error() { return {}; }

/// Runs apply_set on the entry `key` of a map of sets, writing it back only when accepted.
template <class Member, class Map, class Key, class... Rest>
void apply_in(Map& map, const Key& key, Rest&&... rest) {
  auto it = map.find(key);
  auto next = apply_set<Member>(it == map.end() ? nullptr : &it->second, std::forward<Rest>(rest)...);
  if (next) map[key] = std::move(*next);
}

/// The same for a set held in an optional.
template <class Member, class... Rest>
void apply_opt(std::optional<set_view<Member>>& slot, Rest&&... rest) {
  auto next = apply_set<Member>(slot ? &*slot : nullptr, std::forward<Rest>(rest)...);
  if (next) slot = std::move(*next);
}

}  // namespace

void apply_node_shard(view& v, trust_store& t, const names& n, const std::string& shard, const texts& answer,
                      std::vector<problem>& problems) {
  const auto owner = n.node_shard(shard);
  const auto signers = current_signers(v, t);
  const unsigned shards = v.meta ? v.meta->shards : 16;
  apply_in<node_record>(
      v.node_shards, shard, set_kind::nodes, t, owner, signers, answer,
      [&](std::string text, signer_rule rule) { return decode_node(std::move(text), owner, signers, t.keys, rule); },
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
  apply_opt<vlan_record>(
      v.vlans, set_kind::vlans, t, owner, signers, answer,
      [&](std::string text, signer_rule rule) { return decode_vlan(std::move(text), owner, signers, t.keys, rule); },
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
      [&](std::string text, signer_rule rule) { return decode_member(std::move(text), owner, signers, t.keys, rule); },
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
  apply_opt<trail_record>(
      v.trails, set_kind::trails, t, owner, signers, answer,
      [&](std::string text, signer_rule rule) { return decode_trail(std::move(text), owner, signers, rule); },
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
