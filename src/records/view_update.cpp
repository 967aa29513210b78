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

namespace {

constexpr std::size_t max_answer_records = 512;  // a 64 KiB answer holds fewer real ones
constexpr std::size_t max_header_checks = 32;  // new header signatures checked per answer
constexpr std::size_t max_extra_checks = 8;      // member signatures checked past the count
constexpr std::size_t max_meta_checks = 32;      // new _meta signatures checked per answer
constexpr std::size_t max_liveness_checks = 32;  // _l signatures checked per answer
constexpr std::size_t max_procs_per_scout = 8;   // _l records kept per scout

/// Whether a held set has members read without their endpoints (a key picked up since must
/// read them again, even if the set did not change).
template <class Member>
bool any_sealed(const set_view<Member>&) { return false; }
bool any_sealed(const set_view<node_record>& s) {
  return std::any_of(s.members.begin(), s.members.end(), [](const node_record& n) { return n.sealed; });
}

bool printable(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

/// The ts a record claims, before anything is verified (0 if it has none that parses).
std::int64_t claimed_ts(const std::string& text) {
  auto f = field_list::parse(text);
  auto ts = f ? f->get("ts") : std::nullopt;
  std::int64_t out = 0;
  if (!ts || !values::parse_ts(*ts, out)) return 0;
  return out;
}

}  // namespace

void apply_meta(view& v, trust_store& t, const names& n, const texts& answer, std::vector<problem>& problems) {
  const auto owner = n.meta();
  // The record held (checked before) first, then the newest claimed ts: the newest valid record
  // is found with few signature checks, a forgery costs one check ever (refused_before), and
  // at most max_meta_checks new ones are checked per answer. Older than what was accepted is
  // never checked at all (it would be refused as replayed).
  std::vector<std::pair<std::int64_t, const std::string*>> candidates;
  for (auto& text : answer) candidates.emplace_back(claimed_ts(text), &text);
  std::stable_sort(candidates.begin(), candidates.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::optional<meta_record> best;
  std::error_code last;
  std::size_t checks = 0;
  for (auto& [ts, text] : candidates) {
    if (ts < t.highest("meta")) {
      if (!last) last = error::replayed;
      continue;
    }
    const bool known = t.verified_before(owner, *text, t.scouts);
    if (!known && (t.refused_before(owner, *text, t.scouts) || ++checks > max_meta_checks)) continue;
    auto m = decode_meta(*text, owner, t.scouts);
    if (!m) {
      last = m.error();
      t.remember_refused(owner, *text, t.scouts);
      continue;
    }
    if (!best || m->ts > best->ts) {
      best = std::move(*m);
      if (!t.scouts.empty()) t.remember_verified(owner, *text, t.scouts);
    }
    if (!known) break;  // the newest new valid one: older ones cannot win
  }
  if (!best) {
    if (!answer.empty()) problems.push_back({owner, last ? last : make_error_code(error::syntax)});
    return;
  }
  if (static_cast<std::int64_t>(best->kv) < t.highest("meta.kv")) {
    problems.push_back({owner, error::replayed});
    return;
  }
  (void)t.admit("meta", best->ts);
  (void)t.admit("meta.kv", static_cast<std::int64_t>(best->kv));
  if (!t.scouts.empty()) t.scouts = best->scouts;
  v.meta = std::move(*best);
}

namespace {

/// A member text beside a set's header, with what its plain fields say (`opened`: its box, if
/// any, opened with a key of the ring).
struct set_text {
  std::string_view text;
  std::string identity;
  std::int64_t ts = 0;
  bool opened = true;
};

/// The subset of `texts` whose members_digest is `digest`. Any subset that matches is the set
/// the scout signed, so choosing costs hashing, never trust; tried in order: all of them; older
/// records of one identity set aside (a member re-signed since, its old record put back);
/// boxes no key opens set aside (records from before a rotation); both; then, for small sets,
/// each one text more (a removed member's old record put back). Nothing if none matches (then
/// the set is read as incomplete, and nothing is removed). A text signed after the header is
/// never set aside: it is a write under way, which the incomplete path takes in.
std::optional<std::vector<std::string_view>> subset_with_digest(const std::vector<set_text>& texts,
                                                                const std::string& digest, std::int64_t header_ts) {
  auto pick = [&](auto keep) {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < texts.size(); ++i)
      if (texts[i].ts > header_ts || keep(i)) out.push_back(texts[i].text);
    return out;
  };
  auto newest_of_identity = [&](std::size_t i) {
    for (auto& other : texts)
      if (other.identity == texts[i].identity && other.ts > texts[i].ts) return false;
    return true;
  };
  const std::vector<std::vector<std::string_view>> tries{
      pick([](std::size_t) { return true; }), pick(newest_of_identity),
      pick([&](std::size_t i) { return texts[i].opened; }),
      pick([&](std::size_t i) { return texts[i].opened && newest_of_identity(i); })};
  for (auto& c : tries)
    if (members_digest(c) == digest) return c;
  constexpr std::size_t max_single_drops = 64;  // bounded hashing: 64 digests of 63 texts
  const auto& base = tries.back();
  if (base.size() > max_single_drops) return std::nullopt;
  auto ts_of = [&](std::string_view text) {
    for (auto& x : texts)
      if (x.text.data() == text.data()) return x.ts;
    return std::int64_t{0};
  };
  for (std::size_t drop = 0; drop < base.size(); ++drop) {
    if (ts_of(base[drop]) > header_ts) continue;
    std::vector<std::string_view> c;
    for (std::size_t i = 0; i < base.size(); ++i)
      if (i != drop) c.push_back(base[i]);
    if (members_digest(c) == digest) return c;
  }
  return std::nullopt;
}

/// The rule for a set under one name (docs/records.md §2). The newest valid header counts,
/// never one older than already accepted. When its digest matches the member texts — all of
/// them, or those left once texts that are not the set's are set aside (their own signature
/// fails, or they are older records of a member than what was accepted: a replay) — the answer
/// is the whole set: its one signature covers every member, and it replaces what was held, the
/// only way a member is ever removed. Otherwise (a write under way, or records added or dropped
/// on the way) nothing is removed: a member counts only with its own valid signature, replaces
/// a held one only if newer, and joins only if signed after every header accepted for the set
/// (so a removed node's old record cannot come back). A complete set equal to the one held is
/// not decoded again. `peek` gives a text's identity and ts from its plain fields (even when its
/// box cannot be opened). Returns the set to store, or nothing to keep `current`.
template <class Member, class Decode, class Identity, class Peek, class Check>
std::optional<set_view<Member>> apply_set(const set_view<Member>* current, set_kind kind, trust_store& t,
                                          const std::string& owner, const std::vector<crypto::public_key>& signers,
                                          const texts& answer, Decode decode, Identity identity, Peek peek,
                                          Check check, std::vector<problem>& problems) {
  if (answer.size() > max_answer_records) {
    problems.push_back({owner, error::too_large});
    return std::nullopt;
  }
  std::vector<std::string_view> member_texts;
  std::vector<std::pair<std::int64_t, const std::string*>> header_texts;
  for (auto& text : answer) {
    if (!printable(text)) {
      problems.push_back({owner, error::syntax, true});
      continue;
    }
    if (is_set_header(text))
      header_texts.emplace_back(claimed_ts(text), &text);
    else
      member_texts.push_back(text);
  }
  // The header checked before first, then the newest claimed: at most max_header_checks new
  // signatures per answer, a forgery refused once and remembered.
  std::stable_sort(header_texts.begin(), header_texts.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::optional<set_header> header;
  const std::string* header_text = nullptr;
  std::size_t checks = 0;
  for (auto& [ts, text] : header_texts) {
    const bool known = t.verified_before(owner, *text, signers);
    if (!known && (t.refused_before(owner, *text, signers) || ++checks > max_header_checks)) continue;
    auto h = decode_set_header(*text, kind, owner, signers, known ? signer_rule::covered : signer_rule::scouts);
    if (!h) {
      if (!known) t.remember_refused(owner, *text, signers);
      problems.push_back({owner, h.error(), true});
    } else if (!header || h->ts > header->ts) {
      header = std::move(*h);
      header_text = text;
    }
  }
  if (!header) {
    problems.push_back({owner, error::no_header});
    return std::nullopt;
  }
  // The newest header accepted before this answer: a member not held that is no newer was in
  // a set this reader saw replaced (a replay); one newer may have joined since.
  const std::int64_t prior_header_ts = t.highest(owner + " hdr");
  if (!t.admit(owner + " hdr", header->ts)) {
    problems.push_back({owner, error::replayed});
    return std::nullopt;
  }
  t.remember_verified(owner, *header_text, signers);
  const std::int64_t newest_header_ts = t.highest(owner + " hdr");
  auto held_id = [&](const std::string& id) {
    return current && std::any_of(current->members.begin(), current->members.end(),
                                  [&](const Member& m) { return identity(m) == id; });
  };
  // A text signed by a pinned scout that is an older record than one accepted — or, beside a
  // held set, a member it does not hold that is no newer than the header held before — is a
  // replay, whether its box opens or not. (A reader holding nothing cannot tell a replay from a
  // member: the digest decides.)
  auto replayed = [&](std::string_view text) {
    auto p = peek(text);
    return p && (p->second < t.highest(p->first) || (current && !held_id(p->first) && p->second <= prior_header_ts));
  };

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

  bool complete = members_digest(member_texts) == header->digest;
  if (!complete && member_texts.size() <= std::size_t{header->count} + max_extra_checks) {
    // Texts someone added beside the set. Those whose own signature fails, misfiled ones and
    // replays are set aside at once; among the rest, the subset the header's digest names is
    // the set (subset_with_digest).
    std::vector<set_text> signed_texts;
    std::vector<problem> junk;
    for (auto text : member_texts) {
      if (t.refused_before(owner, text, signers)) {
        junk.push_back({owner, error::untrusted, true});
        continue;
      }
      auto m = decode(std::string(text), signer_rule::scouts);
      if (!m && m.error() != error::cannot_decrypt) {
        t.remember_refused(owner, text, signers);
        junk.push_back({owner, m.error(), true});
      } else if (auto e = m ? check(*m) : std::error_code{}; e) {
        junk.push_back({owner, e, true});  // e.g. a member filed under another shard's name
      } else if (replayed(text)) {
        junk.push_back({owner, error::replayed, true});
      } else {
        auto p = peek(text);
        signed_texts.push_back({text, p ? p->first : std::string(text), p ? p->second : 0, m.has_value()});
      }
    }
    if (auto found = subset_with_digest(signed_texts, header->digest, header->ts)) {
      complete = true;
      for (std::size_t i = found->size(); i < signed_texts.size(); ++i) junk.push_back({owner, error::replayed, true});
      member_texts = std::move(*found);
      problems.insert(problems.end(), junk.begin(), junk.end());
    }
  }

  if (complete) {
    if (current && current->complete && current->header == *header && !any_sealed(*current))
      return std::nullopt;  // unchanged
    struct entry {
      std::string id;
      Member m;
      std::string_view text;
    };
    std::vector<entry> members;
    for (auto text : member_texts) {
      auto m = decode(std::string(text), signer_rule::covered);
      std::string id;
      if (!m) {
        problems.push_back({owner, m.error()});
        continue;
      }
      if (!accept(*m, id)) continue;
      auto same = std::find_if(members.begin(), members.end(), [&](auto& e) { return e.id == id; });
      if (same == members.end())
        members.push_back({std::move(id), std::move(*m), text});
      else if (m->ts > same->m.ts)
        same->m = std::move(*m), same->text = text;
    }
    if (members.size() < header->count) {
      problems.push_back({owner, error::withheld});  // e.g. a box no key of the ring opens
      return std::nullopt;
    }
    set_view<Member> next{*header, {}, {}, true};
    for (auto& e : members) {
      (void)t.admit(e.id, e.m.ts);
      next.members.push_back(std::move(e.m));
      next.texts.emplace_back(e.text);
    }
    return next;
  }

  problems.push_back({owner, error::incomplete});
  if (!current) return std::nullopt;
  set_view<Member> next{current->header, current->members, current->texts, false};
  bool changed = false;
  std::size_t checked = 0;
  for (auto text : member_texts) {
    if (t.refused_before(owner, text, signers)) {
      problems.push_back({owner, error::untrusted});
      continue;
    }
    if (++checked > std::size_t{header->count} + max_extra_checks) break;  // bounded CPU per answer
    auto m = decode(std::string(text), signer_rule::scouts);
    std::string id;
    if (!m) {
      if (m.error() == error::cannot_decrypt && replayed(text)) {
        problems.push_back({owner, error::replayed, true});  // an old record under an old key
      } else {
        if (m.error() != error::cannot_decrypt) t.remember_refused(owner, text, signers);
        problems.push_back({owner, m.error()});
      }
      continue;
    }
    if (!accept(*m, id)) continue;
    auto held = std::find_if(next.members.begin(), next.members.end(), [&](auto& x) { return identity(x) == id; });
    if (held != next.members.end()) {
      if (m->ts > held->ts) {
        next.texts[static_cast<std::size_t>(held - next.members.begin())] = std::string(text);
        *held = std::move(*m);
        changed = true;
      }
    } else if (m->ts > newest_header_ts) {
      next.members.push_back(std::move(*m));
      next.texts.emplace_back(text);
      changed = true;
    } else {
      problems.push_back({owner, error::replayed});  // e.g. a removed member's old record
    }
  }
  if (!changed) return std::nullopt;
  for (auto& m : next.members) (void)t.admit(identity(m), m.ts);
  return next;
}

/// A text's identity and ts from its plain fields (`prefix` then `keys`' values), without its
/// signature or its boxes.
std::optional<std::pair<std::string, std::int64_t>> peek_fields(std::string_view text, std::string prefix,
                                                                std::initializer_list<std::string_view> keys) {
  auto f = field_list::parse(std::string(text));
  if (!f) return std::nullopt;
  for (auto k : keys) {
    auto v = f->get(k);
    if (!v) return std::nullopt;
    prefix += " ";
    prefix += *v;
  }
  auto ts = f->get("ts");
  std::int64_t out = 0;
  if (!ts || !values::parse_ts(*ts, out)) return std::nullopt;
  return std::make_pair(std::move(prefix), out);
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
  std::vector<node_record> before;
  if (auto it = v.node_shards.find(shard); it != v.node_shards.end()) before = it->second.members;
  apply_in<node_record>(
      v.node_shards, shard, set_kind::nodes, t, owner, signers, answer,
      [&](std::string text, signer_rule rule) {
        return decode_node(std::move(text), owner, signers, t.keys, rule, t.accept_sealed);
      },
      [](const node_record& r) { return "n " + crypto::base64url(r.pk); },
      [](std::string_view text) { return peek_fields(text, "n", {"pk"}); },
      [&](const node_record& r) -> std::error_code {
        if (shard_of(r.pk, shards) != shard) return error::misfiled;
        if (v.meta && !values::cidr_contains(v.meta->subnet, r.ip)) return error::bad_value;
        return no_error();
      },
      problems);
  // Members read without their endpoints keep the ones held for them; and the reader is told it
  // is behind on the key, so that it picks the new one up.
  auto it = v.node_shards.find(shard);
  if (it == v.node_shards.end()) return;
  bool sealed = false;
  for (auto& m : it->second.members) {
    if (!m.sealed) continue;
    sealed = true;
    for (auto& b : before)
      if (b.pk == m.pk && !b.endpoints.empty()) m.endpoints = b.endpoints;
  }
  if (sealed) problems.push_back({owner, error::cannot_decrypt});
}

void apply_vlans(view& v, trust_store& t, const names& n, const texts& answer, std::vector<problem>& problems) {
  const auto owner = n.vlans();
  const auto signers = current_signers(v, t);
  apply_opt<vlan_record>(
      v.vlans, set_kind::vlans, t, owner, signers, answer,
      [&](std::string text, signer_rule rule) { return decode_vlan(std::move(text), owner, signers, t.keys, rule); },
      [](const vlan_record& r) { return "vl " + std::to_string(r.vni); },
      [](std::string_view text) { return peek_fields(text, "vl", {"vni"}); },
      [](const vlan_record&) { return no_error(); }, problems);
  // A vlan gone from a valid, newer _vl takes the memberships in it along.
  if (v.vlans)
    std::erase_if(v.members, [&](auto& entry) {
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
      v.members[vni], shard, set_kind::members, t, owner, signers, answer,
      [&](std::string text, signer_rule rule) { return decode_member(std::move(text), owner, signers, t.keys, rule); },
      [vni](const member_record& r) { return "m " + std::to_string(vni) + " " + crypto::base64url(r.pk); },
      [vni](std::string_view text) { return peek_fields(text, "m " + std::to_string(vni), {"pk"}); },
      [&](const member_record& r) -> std::error_code {
        if (shard_of(r.pk, shards) != shard) return error::misfiled;
        if (!values::cidr_contains(vlan->subnet, r.ip)) return error::bad_value;
        return no_error();
      },
      problems);
  if (v.members[vni].empty()) v.members.erase(vni);
}

void apply_trails(view& v, trust_store& t, const names& n, const texts& answer, std::vector<problem>& problems) {
  const auto owner = n.trails();
  const auto signers = current_signers(v, t);
  apply_opt<trail_record>(
      v.trails, set_kind::trails, t, owner, signers, answer,
      [&](std::string text, signer_rule rule) { return decode_trail(std::move(text), owner, signers, rule); },
      [](const trail_record& r) { return "t " + r.remote + " " + r.scout; },
      [](std::string_view text) { return peek_fields(text, "t", {"remote", "scout"}); },
      [](const trail_record&) { return no_error(); }, problems);
}

void apply_liveness(view& v, trust_store& t, const names& n, const texts& answer, std::vector<problem>& problems,
                    std::int64_t now_ms) {
  const auto owner = n.liveness();
  const auto signers = current_signers(v, t);
  std::vector<std::string> trusted;
  for (auto& pk : signers) trusted.push_back(crypto::id10(pk));
  std::size_t checks = 0;
  for (auto& text : answer) {
    // Cheap checks before a signature: a scout this reader trusts, a record newer than the one
    // held for its process.
    auto f = field_list::parse(text);
    auto scout = f ? f->get("scout") : std::nullopt;
    auto proc = f ? f->get("proc") : std::nullopt;
    if (!scout || !proc || std::find(trusted.begin(), trusted.end(), *scout) == trusted.end()) {
      problems.push_back({owner, error::untrusted, true});
      continue;
    }
    const std::string identity = "l " + std::string(*scout) + " " + std::string(*proc);
    const auto ts = claimed_ts(text);
    if (ts <= t.highest(identity)) {
      if (ts < t.highest(identity)) problems.push_back({owner, error::replayed, true});
      continue;  // the record held, read again (or an older one)
    }
    if (++checks > max_liveness_checks) {
      problems.push_back({owner, error::too_large, true});
      break;
    }
    auto l = decode_liveness(text, owner, signers);
    if (!l) {
      problems.push_back({owner, l.error(), true});
      continue;
    }
    if (l->ts - now_ms > max_liveness_ahead_ms) {  // dated ahead of this clock: never remembered
      problems.push_back({owner, error::bad_value});
      continue;
    }
    auto& procs = v.liveness[l->scout];
    if (!procs.count(l->proc) && procs.size() >= max_procs_per_scout) {
      // Room for a new process: the stalest record goes (a process that stopped writing).
      auto oldest = std::min_element(procs.begin(), procs.end(), [](auto& a, auto& b) { return a.second.ts < b.second.ts; });
      if (oldest->second.ts >= l->ts) continue;
      procs.erase(oldest);
    }
    (void)t.admit(identity, l->ts);
    procs[l->proc] = std::move(*l);
  }
  // Evidence counts only from the scouts trusted now.
  std::erase_if(v.liveness, [&](auto& entry) {
    return std::find(trusted.begin(), trusted.end(), entry.first) == trusted.end();
  });
}

unsigned apply_pushed(view& v, trust_store& t, const names& n, const crypto::public_key* self,
                      std::vector<pushed_set> sets, std::vector<problem>& problems, std::int64_t now_ms) {
  using kind = names::owner_kind;
  std::vector<std::pair<kind, pushed_set*>> order;
  for (auto& s : sets)
    if (!s.values.empty()) order.emplace_back(n.classify(s.owner), &s);
  std::stable_sort(order.begin(), order.end(), [](auto& a, auto& b) { return a.first.kind < b.first.kind; });
  unsigned folded = 0;
  for (auto& [name, s] : order) {
    switch (name.kind) {
      case kind::meta: apply_meta(v, t, n, s->values, problems); break;
      case kind::node_shard: apply_node_shard(v, t, n, name.shard, s->values, problems); break;
      case kind::vlans: apply_vlans(v, t, n, s->values, problems); break;
      case kind::member_shard:
        // A node's view holds its own shard of each vlan only (the shard count is _meta's).
        if (self && (!v.meta || name.shard != shard_of(*self, v.meta->shards))) continue;
        apply_member_shard(v, t, n, name.shard, name.vni, s->values, problems);
        break;
      case kind::trails: apply_trails(v, t, n, s->values, problems); break;
      case kind::liveness: apply_liveness(v, t, n, s->values, problems, now_ms); break;
      case kind::pending_shard:
      case kind::key:
      case kind::other: continue;
    }
    ++folded;
  }
  return folded;
}

}  // namespace brood::records
