// brood-api: removing a node rotates the brood_key (SPEC §5.6), through a journal so that a
// crash at any step is finished on restart and no survivor is ever left without a key it can
// open. The change lease is held throughout, so no other process approves or rotates meanwhile.
// The steps, each one or more provider edits:
//
//   1. journal: the node, the old key and the new key, written atomically to the state dir —
//      before anything is encrypted with a key that exists nowhere else;
//   2. keys (seal_keys): every survivor's and every scout's _k record holds the new key, sealed
//      to it (the removed node's goes), in as few edits as the provider's size limit allows;
//   3. switch (switch_sets): set by set, every _n, _vl and _m record the view holds re-encrypted
//      with the new key, the removed node and its memberships gone, the removed node's own shard
//      first (that takes it out of every survivor's WireGuard at once); texts the view did not
//      verify are not carried. A survivor that reads the switch before its _k keeps its view
//      (it cannot open the new boxes) until its _k, written in step 2, gives it the new key;
//   4. meta (bump_meta): _meta's kv bumped, re-signed from the verified view — never from a
//      record this scout did not verify — and a removed scout loses its place in scouts=, its
//      SRV entry, its A/AAAA and its address among the domain's;
//   5. brood.key replaced, journal removed (finish_rotation).
//
// Running the steps again is harmless, so recovery simply runs them again from the journal.
// BROOD_FAULT=rotation:<step> kills the process (SIGKILL) just after that step, and
// rotation:keys:fail or rotation:switch:fail makes the rotation fail there as a provider
// failure would — the tests' hooks; nothing sets them in production.
#include <brood/api/api.hpp>
#include <brood/api/scout_names.hpp>
#include <brood/json/value.hpp>
#include <brood/json/writer.hpp>
#include <brood/records/node.hpp>
#include <brood/records/vlan.hpp>
#include <brood/rt/file.hpp>

#include "handler_util.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

namespace brood::api {

using provider::rr_type;
using provider::rrset;

namespace {

/// True when the rotation must fail here (the :fail hook).
bool fault_point(const char* step) {
  const char* f = std::getenv("BROOD_FAULT");
  if (!f || std::strncmp(f, "rotation:", 9) != 0) return false;
  const std::string_view rest(f + 9);
  if (rest == step) std::raise(SIGKILL);
  return rest == std::string(step) + ":fail";
}

std::string journal_path(const std::string& dir) { return dir + "/rotation.journal"; }

std::string encode_journal(const std::string& id, const brood_key& old_key, const brood_key& new_key,
                           const std::string& proc) {
  json::writer w;
  w.begin_object().key("remove").string(id).key("proc").string(proc);
  w.key("old_kv").number(static_cast<std::int64_t>(old_key.kv)).key("old_key").string(crypto::base64(old_key.key));
  w.key("new_kv").number(static_cast<std::int64_t>(new_key.kv)).key("new_key").string(crypto::base64(new_key.key));
  w.end_object();
  return w.take();
}

std::optional<brood_key> key_from(const json::value& j, const char* kv_name, const char* key_name) {
  auto* kv = j.find(kv_name);
  auto* key = j.find(key_name);
  auto kvi = kv ? kv->as_int() : rt::result<std::int64_t>(std::errc::invalid_argument);
  auto raw = key && key->as_string() ? crypto::from_base64(*key->as_string()) : rt::result<std::string>(std::errc::invalid_argument);
  if (!kvi || *kvi <= 0 || !raw || raw->size() != 32) return std::nullopt;
  brood_key k;
  k.kv = static_cast<std::uint64_t>(*kvi);
  std::memcpy(k.key.data(), raw->data(), 32);
  return k;
}

rt::result<void> failing_here(const char* step, std::string* why) {
  if (!fault_point(step)) return {};
  if (why) *why = std::string("BROOD_FAULT: failing after step ") + step;
  return provider::error::unavailable;
}

}  // namespace

bool api::lock_rotation() {
  if (_rotation_lock >= 0) return true;
  const int fd = ::open((_o.state_dir + "/rotation.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {  // never waits: another process holds it
    ::close(fd);
    return false;
  }
  _rotation_lock = fd;
  return true;
}

void api::unlock_rotation() noexcept {
  if (_rotation_lock < 0) return;
  ::close(_rotation_lock);  // the flock goes with it
  _rotation_lock = -1;
}

rt::task<rt::result<void>> api::recover_journal(const std::string& text, std::string* why, bool leased) {
  auto j = json::parse(text);
  const json::value* id = j ? j->find("remove") : nullptr;
  auto old_key = j ? key_from(*j, "old_kv", "old_key") : std::nullopt;
  auto new_key = j ? key_from(*j, "new_kv", "new_key") : std::nullopt;
  if (!id || !id->as_string() || !id10_ok(*id->as_string()) || !old_key || !new_key) {
    if (why) *why = "rotation journal " + journal_path(_o.state_dir) + " is unreadable";
    co_return std::errc::invalid_argument;
  }
  // The writer still runs (a sibling process sharing this state dir): it finishes its rotation.
  if (!lock_rotation()) co_return rt::result<void>{};
  if (!leased) {
    const json::value* proc = j->find("proc");
    std::string writer;  // a named local: GCC 12 destroys a conditional's temporary twice in co_await
    if (proc && proc->as_string()) writer = *proc->as_string();
    const std::string op = "rotate";
    auto held = co_await acquire_lease(op, why, std::move(writer), true);
    if (!held) {
      unlock_rotation();
      co_return held.error();
    }
  }
  rotation r{*id->as_string(), {}, *old_key, *new_key};
  auto done = co_await rotate(r, why);
  if (!leased) co_await release_lease();
  if (done || !_pending) unlock_rotation();
  co_return done;
}

rt::task<http::response> api::remove_node(const http::request& req, std::string id) {
  if (auto refused = admit(req, true)) co_return std::move(*refused);
  if (!id10_ok(id)) co_return http::error_response(400, "bad request", "a node id is 10 lower-case hex digits");
  if (_o.state_dir.empty()) co_return http::error_response(503, "unavailable", "no state directory for the journal");
  if (id == _scout.id10()) co_return http::error_response(409, "conflict", "a scout cannot remove itself");
  auto c = co_await begin(lease_use::wait, "rotate");
  if (auto* refused = std::get_if<http::response>(&c)) co_return std::move(*refused);
  auto& ch = std::get<change>(c);
  // Is it a member at all? (Its whole key: the view holds at most one key per id10.)
  auto found = _sv.nodes_with_id(id);
  if (found.empty()) {
    co_await release(ch);
    co_return http::error_response(404, "not found", "no member node " + id);
  }
  if (!lock_rotation()) {
    co_await release(ch);
    co_return http::error_response(503, "busy", "another process of this scout is rotating the key");
  }
  // A journal left by a process of this state dir that died: its removal is finished first,
  // never overwritten.
  if (auto left = co_await rt::read_file(journal_path(_o.state_dir)); left) {
    std::string why;
    auto done = co_await recover_journal(*left, &why, true);
    if (!done) {
      co_await release(ch);
      co_return provider_failure(done.error(), "an interrupted key rotation must finish first: " + why);
    }
    found = _sv.nodes_with_id(id);
    if (found.empty()) {
      co_await release(ch);
      co_return http::error_response(404, "not found", "no member node " + id);
    }
  }
  // A key another process sealed into the _k records and never finished with must not be
  // minted again under the same kv: the new one is past every kv seen.
  (void)co_await catch_up_key();
  const auto next_kv = std::max(_key.kv, ch.meta.kv) + 1;
  rotation r{id, found.front()->pk, _key, brood_key{next_kv, crypto::random_secret_key()}};
  auto j = co_await rt::write_file_atomic(journal_path(_o.state_dir), encode_journal(id, r.old_key, r.new_key, _proc));
  if (!j) {
    (void)co_await rt::remove_file(journal_path(_o.state_dir));  // nothing was done: no journal either
    unlock_rotation();
    co_await release(ch);
    co_return http::error_response(503, "unavailable", "rotation journal: " + j.error().message());
  }
  fault_point("journal");
  _watch.end(crypto::base64url(r.pk));  // a removed node hears nothing more, the rotation included
  std::string why;
  auto done = co_await rotate(r, &why);
  if (done) unlock_rotation();  // a failed rotation keeps it: this process finishes it later
  co_await release(ch);
  _rotation_failed = !done;
  if (!done) co_return provider_failure(done.error(), why);  // the journal stays: recovery finishes it
  ++_c.removals;
  _last_seen.erase(r.pk);
  membership_changed();
  json::writer out;
  out.begin_object().key("removed").string(id).key("kv").number(static_cast<std::int64_t>(_key.kv)).end_object();
  co_return json_ok(200, out.take());
}

rt::task<std::optional<http::response>> api::settle_rotation() {
  if (!_pending) co_return std::nullopt;
  std::string why;
  const rotation r = *_pending;
  auto done = co_await rotate(r, &why);
  _rotation_failed = !done;
  if (!done) co_return provider_failure(done.error(), "an interrupted key rotation must finish first: " + why);
  unlock_rotation();
  co_return std::nullopt;
}

rt::task<rt::result<void>> api::rotate(const rotation& r, std::string* why) {
  _pending = r;
  _next_key = r.new_key;
  use_keys();
  for (int round = 0; round < 4; ++round) {
    // The brood as it is now, read whole and folded with both keys.
    if (auto fresh = co_await refresh(why); !fresh) co_return fresh.error();
    // Overtaken: a later rotation (another process, after this one failed) has moved the brood
    // past this one's key. Finishing it would seal an old key over the new one.
    bool overtaken = _sv.view.meta->kv > r.new_key.kv;
    if (!overtaken && _sv.view.meta->kv == r.new_key.kv && _key.kv != r.new_key.kv) {
      auto ours = co_await own_key_is(r.new_key);  // the switch done, brood.key not yet saved
      if (!ours) {  // unknown: try again later, never drop it on a guess
        if (why) *why = "reading this scout's _k to tell whose rotation the brood is at";
        co_return ours.error();
      }
      overtaken = !*ours;
    }
    if (overtaken) {
      std::fprintf(stderr, "brood-api: the rotation to kv %llu was overtaken (the brood is at kv %llu): dropped\n",
                   static_cast<unsigned long long>(r.new_key.kv),
                   static_cast<unsigned long long>(_sv.view.meta->kv));
      // (Its removal is not lost: the node was taken out by the later rotation, or is still a
      // member for the operator to remove again — the log and /status say so.)
      _dropped_rotation = "the removal of " + r.id + " was overtaken by another rotation (kv " +
                          std::to_string(_sv.view.meta->kv) + "); remove it again if it is still a member";
      _pending.reset();
      _next_key.reset();
      _rotation_failed = false;
      use_keys();
      (void)co_await rt::remove_file(journal_path(_o.state_dir));
      unlock_rotation();
      co_return rt::result<void>{};
    }
    if (_sv.view.meta->kv == r.new_key.kv) co_return co_await finish_rotation(r, why);  // switched: only the file left
    if (auto k = co_await seal_keys(r, why); !k) co_return k.error();
    if (auto f = failing_here("keys", why); !f) co_return f.error();
    auto switched = co_await switch_sets(r, why);
    if (!switched) co_return switched.error();
    if (!*switched) continue;  // approved or created meanwhile: seal and switch again
    if (auto m = co_await bump_meta(r, why); !m) co_return m.error();
    if (auto f = failing_here("switch", why); !f) co_return f.error();
    co_return co_await finish_rotation(r, why);
  }
  if (why) *why = "nodes kept being approved during the rotation";
  co_return provider::error::conflict;
}

rt::task<rt::result<void>> api::seal_keys(const rotation& r, std::string* why) {
  // Every survivor and every scout (a scout's processes follow the key through their own _k,
  // member or not), sealed to its own key; the removed node's _k goes.
  std::set<crypto::public_key> to;
  for (auto* n : _sv.view.nodes())
    if (crypto::id10(n->pk) != r.id) to.insert(n->pk);
  if (_sv.view.meta)
    for (auto& s : _sv.view.meta->scouts)
      if (crypto::id10(s) != r.id) to.insert(s);
  std::vector<rrset> key_sets{{_n.key(r.id), rr_type::txt, _o.ttl, {}}};
  for (auto& pk : to) {
    const auto owner = _n.key(crypto::id10(pk));
    auto k = records::encode_key(r.new_key.kv, r.new_key.key, pk, now(), owner, _scout);
    if (!k) continue;  // no X25519 form: such a node could never have been approved
    key_sets.push_back({owner, rr_type::txt, _o.ttl, {*k}});
  }
  for (auto& part : provider::batches(std::move(key_sets), _p)) {
    if (auto renewed = co_await renew_lease(why); !renewed) co_return renewed.error();
    auto k = co_await _p.apply(std::move(part), why);
    if (!k) co_return k.error();
    if (k->changed_sets > 0) ++_c.provider_edits;
  }
  co_return rt::result<void>{};
}

rt::task<rt::result<bool>> api::switch_sets(const rotation& r, std::string* why) {
  const auto& meta = *_sv.view.meta;
  const auto shards = records::all_shards(meta.shards);
  const auto gone_label = records::shard_of_id(r.id, meta.shards);
  std::set<std::string> survivors;
  for (auto* n : _sv.view.nodes())
    if (crypto::id10(n->pk) != r.id) survivors.insert(crypto::id10(n->pk));
  std::set<std::uint32_t> vnis;
  if (_sv.view.vlans)
    for (auto& v : _sv.view.vlans->members) vnis.insert(v.vni);
  std::vector<std::string> names{_n.node_shard(gone_label), _n.vlans()};
  for (auto& sh : shards) {
    if (sh != gone_label) names.push_back(_n.node_shard(sh));
    for (auto vni : vnis) names.push_back(_n.member_shard(sh, vni));
  }
  // Every set must be held whole and current: one the view could not take would keep the old
  // key, and what it holds of the removed node.
  for (auto& name : names) {
    const auto kind = _n.classify(name);
    const bool held = kind.kind == records::names::owner_kind::vlans ? _sv.view.vlans.has_value()
                      : kind.kind == records::names::owner_kind::node_shard
                          ? _sv.node_shard(kind.shard) != nullptr
                          : _sv.member_shard(kind.vni, kind.shard) != nullptr;
    const std::vector<rrset> none;
    if (held && base_of(name, none)) continue;
    if (why) *why = name + " holds records this scout cannot verify as the whole set; the rotation stops before it";
    co_return provider::error::rejected;
  }
  const std::size_t per_edit = std::max<std::size_t>(1, _p.max_sets_per_edit());
  for (std::size_t i = 0; i < names.size(); i += per_edit) {
    if (auto renewed = co_await renew_lease(why); !renewed) co_return renewed.error();
    std::vector<rrset> sets;
    for (std::size_t j = i; j < std::min(names.size(), i + per_edit); ++j)
      sets.push_back({names[j], rr_type::txt, _o.ttl, {}});
    bool membership_changed = false;
    std::string unreadable, unverified;
    provider::provider::edit_fn fn = [&](const std::vector<rrset>& current) {
      membership_changed = false;
      unreadable.clear();
      unverified.clear();
      for (auto& p : _sv.fold(current, now()))
        if (p.reason == records::error::cannot_decrypt) unreadable = p.owner;
      if (!unreadable.empty()) return current;
      for (auto& set : current)
        if (!base_of(set.name, current)) {
          unverified = set.name;  // moved on to a header this process could not verify
          return current;
        }
      const auto ts = now();
      auto next = current;
      for (auto& set : next) {
        const auto kind = _n.classify(set.name);
        std::vector<std::string> members;
        std::optional<records::set_header> header;
        if (kind.kind == records::names::owner_kind::vlans) {
          if (!_sv.view.vlans) continue;
          header = _sv.view.vlans->header;
          for (auto v : _sv.view.vlans->members) {
            if (!vnis.count(v.vni)) membership_changed = true;  // created meanwhile
            v.ts = std::max(ts, v.ts + 1);  // newer than what readers hold, whatever this clock says
            members.push_back(records::encode(v, set.name, r.new_key.key, _scout));
          }
          set.values = rebuild_set(records::set_kind::vlans, set.name, std::move(members), header, ts, _scout);
        } else if (kind.kind == records::names::owner_kind::node_shard) {
          const auto* held = _sv.node_shard(kind.shard);
          if (!held) continue;
          for (auto node : held->members) {
            if (crypto::id10(node.pk) == r.id) continue;
            if (!survivors.count(crypto::id10(node.pk))) membership_changed = true;  // no _k yet
            node.ts = std::max(ts, node.ts + 1);
            members.push_back(records::encode(node, set.name, r.new_key.key, _scout));
          }
          set.values = rebuild_set(records::set_kind::nodes, set.name, std::move(members), held->header, ts, _scout);
        } else if (kind.kind == records::names::owner_kind::member_shard) {
          const auto* held = _sv.member_shard(kind.vni, kind.shard);
          if (!held) continue;
          for (auto m : held->members) {
            if (crypto::id10(m.pk) == r.id) continue;
            m.ts = std::max(ts, m.ts + 1);
            members.push_back(records::encode(m, set.name, r.new_key.key, _scout));
          }
          set.values = rebuild_set(records::set_kind::members, set.name, std::move(members), held->header, ts, _scout);
        }
      }
      return membership_changed ? current : next;
    };
    auto w = co_await _p.edit(std::move(sets), std::move(fn), why);
    if (!w) co_return w.error();
    if (w->changed_sets > 0) ++_c.provider_edits;
    if (!unreadable.empty()) {
      // A record the view holds opens with neither key: the rotation cannot carry it, and must
      // not drop it.
      if (why) *why = unreadable + " holds records neither the old nor the new key opens";
      co_return provider::error::rejected;
    }
    if (!unverified.empty()) {
      if (why)
        *why = unverified + " holds records this scout cannot verify as the whole set; the rotation stops before it";
      co_return provider::error::rejected;
    }
    if (membership_changed) co_return false;
  }
  co_return true;
}

rt::task<rt::result<void>> api::bump_meta(const rotation& r, std::string* why) {
  // From the view: the _meta this scout verified under its pins, and nothing else, is carried.
  if (!_sv.view.meta) {
    if (why) *why = "no _meta verifies under this scout's pins";
    co_return provider::error::rejected;
  }
  std::vector<rrset> meta_set{{_n.meta(), rr_type::txt, _o.ttl, {}}};
  provider::provider::edit_fn fn = [&](const std::vector<rrset>& current) {
    (void)_sv.fold(current, now());
    auto m = *_sv.view.meta;
    m.kv = std::max(m.kv, r.new_key.kv);
    m.ts = std::max(now(), m.ts + 1);
    std::erase_if(m.scouts, [&](const crypto::public_key& pk) { return crypto::id10(pk) == r.id; });
    auto next = current;
    next[0].values = {records::encode(m, _n.meta(), _scout)};
    return next;
  };
  auto w = co_await _p.edit(std::move(meta_set), std::move(fn), why);
  if (!w) co_return w.error();
  ++_c.provider_edits;
  // A removed scout's names go too: its SRV entry, its A/AAAA, its address among the domain's
  // (for a worker this edit finds nothing to change and writes nothing).
  provider::provider::edit_fn unnamed = [&](const std::vector<rrset>& current) {
    return with_scout(current, _n, r.id, "", 0);
  };
  auto name_sets = scout_name_sets(_n, r.id, _o.ttl);
  auto names = co_await _p.edit(std::move(name_sets), std::move(unnamed), why);
  if (!names) co_return names.error();
  if (names->changed_sets > 0) ++_c.provider_edits;
  co_return rt::result<void>{};
}

rt::task<rt::result<void>> api::finish_rotation(const rotation& r, std::string* why) {
  auto saved = co_await rt::write_file_atomic(_o.state_dir + "/brood.key", format_brood_key(r.new_key));
  if (!saved) {
    if (why) *why = "brood.key: " + saved.error().message();
    co_return saved.error();
  }
  _previous_key.reset();
  _key = r.new_key;
  _next_key.reset();
  _pending.reset();
  use_keys();
  fault_point("saved");
  // A journal left behind only makes the next start redo harmless steps.
  if (auto gone = co_await rt::remove_file(journal_path(_o.state_dir)); !gone)
    std::fprintf(stderr, "brood-api: rotation journal: %s\n", gone.error().message().c_str());
  co_return rt::result<void>{};
}

}  // namespace brood::api
