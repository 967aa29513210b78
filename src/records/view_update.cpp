// Verifying, decrypting and folding answers into a view, all-or-nothing per set.
#include <brood/records/view_update.hpp>

#include "values.hpp"

#include <algorithm>
#include <charconv>

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

constexpr std::size_t max_answer_records = 512;  // a 64 KiB answer holds fewer real ones
constexpr std::size_t max_headers = 4;
constexpr std::size_t max_extra_checks = 8;      // member signatures checked past the count

bool printable(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

/// The rule for a set under one name (docs/records.md §2). The newest valid header counts,
/// never one older than already accepted. When its digest matches the member texts, the answer
/// is the whole set: its one signature covers every member, and it replaces what was held —
/// the only way a member is ever removed. Otherwise (a write under way, or records added or
/// dropped on the way) nothing is removed: a member counts only with its own valid signature,
/// replaces a held one only if newer, and joins only if signed after the header already
/// accepted (so a removed node's old record cannot come back). A complete set equal to the one
/// held is not decoded again. Returns the set to store, or nothing to keep `current`.
template <class Member, class Decode, class Identity, class Check>
std::optional<set_view<Member>> apply_set(const set_view<Member>* current, set_kind kind, trust_store& t,
                                          const std::string& owner, const std::vector<crypto::public_key>& signers,
                                          const texts& answer, Decode decode, Identity identity, Check check,
                                          std::vector<problem>& problems) {
  if (answer.size() > max_answer_records) {
    problems.push_back({owner, error::too_large});
    return std::nullopt;
  }
  std::optional<set_header> header;
  const std::string* header_text = nullptr;
  std::vector<std::string_view> member_texts;
  std::size_t headers = 0;
  for (auto& text : answer) {
    if (!printable(text)) {
      problems.push_back({owner, error::syntax});
      continue;
    }
    if (!is_set_header(text)) {
      member_texts.push_back(text);
      continue;
    }
    if (++headers > max_headers) continue;
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

  auto accept = [&](Member& m, std::string& id) -> bool {
    if (auto e = check(m); e) {
      problems.push_back({owner, e});
      return false;
    }
    id = identity(m);
    if (m.ts < t.highest(id)) {
      problems.push_back({owner, error::replayed});
      return false;
    }
    return true;
  };

  if (members_digest(member_texts) == header->digest) {
    if (current && current->complete && current->header == *header) return std::nullopt;  // unchanged
    std::vector<std::pair<std::string, Member>> members;  // identity, record
    for (auto text : member_texts) {
      auto m = decode(std::string(text), signer_rule::covered);
      std::string id;
      if (!m) {
        problems.push_back({owner, m.error()});
        continue;
      }
      if (!accept(*m, id)) continue;
      auto same = std::find_if(members.begin(), members.end(), [&](auto& p) { return p.first == id; });
      if (same == members.end())
        members.emplace_back(std::move(id), std::move(*m));
      else if (m->ts > same->second.ts)
        same->second = std::move(*m);
    }
    if (members.size() < header->count) {
      problems.push_back({owner, error::withheld});  // e.g. a box no key of the ring opens
      return std::nullopt;
    }
    set_view<Member> next{*header, {}, true};
    for (auto& [id, m] : members) {
      (void)t.admit(id, m.ts);
      next.members.push_back(std::move(m));
    }
    return next;
  }

  problems.push_back({owner, error::incomplete});
  if (!current) return std::nullopt;
  set_view<Member> next{current->header, current->members, false};
  bool changed = false;
  std::size_t checked = 0;
  for (auto text : member_texts) {
    if (++checked > std::size_t{header->count} + max_extra_checks) break;  // bounded CPU per answer
    auto m = decode(std::string(text), signer_rule::scouts);
    std::string id;
    if (!m) {
      problems.push_back({owner, m.error()});
      continue;
    }
    if (!accept(*m, id)) continue;
    auto held = std::find_if(next.members.begin(), next.members.end(), [&](auto& x) { return identity(x) == id; });
    if (held != next.members.end()) {
      if (m->ts > held->ts) {
        *held = std::move(*m);
        changed = true;
      }
    } else if (m->ts > current->header.ts) {
      next.members.push_back(std::move(*m));
      changed = true;
    } else {
      problems.push_back({owner, error::replayed});  // e.g. a removed member's old record
    }
  }
  if (!changed) return std::nullopt;
  for (auto& m : next.members) (void)t.admit(identity(m), m.ts);
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
  if (!vlan) {  // e.g. a vlan deleted by the _vl folded just before: its memberships went with it
    problems.push_back({owner, error::no_such_vlan});
    return;
  }
  apply_in<member_record>(
      v.own_members, vni, set_kind::members, t, owner, signers, answer,
      [&](std::string text, signer_rule rule) { return decode_member(std::move(text), owner, signers, t.keys, rule); },
      [vni](const member_record& r) { return "m " + std::to_string(vni) + " " + crypto::base64url(r.pk); },
      [&](const member_record& r) -> std::error_code {
        if (shard_of(r.pk, shards) != shard) return error::misfiled;
        if (!values::cidr_contains(vlan->subnet, r.ip)) return error::bad_value;
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
  // Evidence counts only from the scouts trusted now.
  std::erase_if(v.liveness, [&](auto& entry) {
    return std::none_of(signers.begin(), signers.end(), [&](auto& pk) { return crypto::id10(pk) == entry.first; });
  });
}

namespace {
bool shard_label(std::string_view s) {  // "3", "3f"
  return (s.size() == 1 || s.size() == 2) &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A pushed owner name, classified: its kind in fold order, and the shard and vni it names.
struct pushed_name {
  enum kind { meta, node_shard, vlans, member_shard, trails, liveness, other } k = other;
  std::string shard;
  std::uint32_t vni = 0;
};

pushed_name classify(const names& n, std::string_view owner) {
  const std::string suffix = "." + n.domain();
  pushed_name out;
  if (!owner.ends_with(suffix)) return out;
  const std::string_view label = owner.substr(0, owner.size() - suffix.size());
  if (label == "_meta") {
    out.k = pushed_name::meta;
  } else if (label == "_vl") {
    out.k = pushed_name::vlans;
  } else if (label == "_t") {
    out.k = pushed_name::trails;
  } else if (label == "_l") {
    out.k = pushed_name::liveness;
  } else if (label.starts_with("_n.") && shard_label(label.substr(3))) {
    out.k = pushed_name::node_shard;
    out.shard = label.substr(3);
  } else if (label.starts_with("_m.")) {
    const auto rest = label.substr(3);
    const auto dot = rest.find('.');
    if (dot == std::string_view::npos || !shard_label(rest.substr(0, dot))) return out;
    const auto vni_text = rest.substr(dot + 1);
    auto [end, ec] = std::from_chars(vni_text.data(), vni_text.data() + vni_text.size(), out.vni);
    if (ec != std::errc() || end != vni_text.data() + vni_text.size() || vni_text.empty() || vni_text[0] == '0')
      return out;
    out.k = pushed_name::member_shard;
    out.shard = rest.substr(0, dot);
  }
  return out;
}
}  // namespace

unsigned apply_pushed(view& v, trust_store& t, const names& n, const crypto::public_key& self,
                      std::vector<pushed_set> sets, std::vector<problem>& problems) {
  std::vector<std::pair<pushed_name, pushed_set*>> order;
  for (auto& s : sets)
    if (!s.values.empty()) order.emplace_back(classify(n, s.owner), &s);
  std::stable_sort(order.begin(), order.end(), [](auto& a, auto& b) { return a.first.k < b.first.k; });
  unsigned folded = 0;
  for (auto& [name, s] : order) {
    switch (name.k) {
      case pushed_name::meta: apply_meta(v, t, n, s->values, problems); break;
      case pushed_name::node_shard: apply_node_shard(v, t, n, name.shard, s->values, problems); break;
      case pushed_name::vlans: apply_vlans(v, t, n, s->values, problems); break;
      case pushed_name::member_shard:
        // The view holds its own node's shard of each vlan only (the shard count is _meta's).
        if (!v.meta || name.shard != shard_of(self, v.meta->shards)) continue;
        apply_member_shard(v, t, n, name.shard, name.vni, s->values, problems);
        break;
      case pushed_name::trails: apply_trails(v, t, n, s->values, problems); break;
      case pushed_name::liveness: apply_liveness(v, t, n, s->values, problems); break;
      case pushed_name::other: continue;
    }
    ++folded;
  }
  return folded;
}

}  // namespace brood::records
