// brood-api: removing a node rotates the brood_key (SPEC §5.6), through a journal so that a
// crash at any step is finished on restart and no survivor is ever left without a key it can
// open. The steps, each one provider edit:
//
//   1. journal: the node, the old key and the new key, written atomically to the state dir —
//      before anything is encrypted with a key that exists nowhere else;
//   2. keys: every survivor's _k record holds the new key, sealed to it (the removed node's goes),
//      in as few edits as the provider's size limit allows;
//   3. switch: set by set, every _n, _vl and _m record re-encrypted with the new key, the removed
//      node and its memberships gone; then _meta's kv bumped. A survivor that reads the switch
//      before its _k keeps its view (it cannot open the new boxes) until its _k, written in step
//      2, gives it the new key; until then the old one still opens the records it has.
//   4. brood.key replaced, journal removed.
//
// Running the steps again is harmless, so recovery simply runs them again from the journal.
// BROOD_FAULT=rotation:<step> kills the process (SIGKILL) just after that step, and
// rotation:keys:fail or rotation:switch:fail makes the rotation fail there as a provider
// failure would — the tests' hooks; nothing sets them in production.
#include <brood/api/api.hpp>
#include <brood/api/set_edit.hpp>
#include <brood/json/value.hpp>
#include <brood/records/node.hpp>
#include <brood/records/vlan.hpp>
#include <brood/rt/file.hpp>

#include "handler_util.hpp"

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

std::string encode_journal(const std::string& id, const brood_key& old_key, const brood_key& new_key) {
  json::writer w;
  w.begin_object().key("remove").string(id);
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

}  // namespace

std::vector<crypto::secret_key> api::ring() const {
  std::vector<crypto::secret_key> r;
  if (_next_key) r.push_back(_next_key->key);
  r.push_back(_key.key);
  return r;
}

rt::task<rt::result<void>> api::recover(std::string* why) {
  if (_o.state_dir.empty()) co_return rt::result<void>{};
  auto text = co_await rt::read_file(journal_path(_o.state_dir));
  if (!text) {
    if (text.error() == std::errc::no_such_file_or_directory) co_return rt::result<void>{};
    if (why) *why = "rotation journal: " + text.error().message();
    co_return text.error();
  }
  auto j = json::parse(*text);
  const json::value* id = j ? j->find("remove") : nullptr;
  auto old_key = j ? key_from(*j, "old_kv", "old_key") : std::nullopt;
  auto new_key = j ? key_from(*j, "new_kv", "new_key") : std::nullopt;
  if (!id || !id->as_string() || !old_key || !new_key) {
    if (why) *why = "rotation journal " + journal_path(_o.state_dir) + " is unreadable";
    co_return std::errc::invalid_argument;
  }
  auto g = co_await _writes.lock();
  if (!g) co_return g.error();
  rotation r{*id->as_string(), *old_key, *new_key};
  co_return co_await rotate(r, why);
}

rt::task<http::response> api::remove_node(const http::request& req, std::string id) {
  ++_c.requests;
  if (!is_operator(req)) co_return http::error_response(401, "unauthenticated", "operator token required");
  if (!id10_ok(id)) co_return http::error_response(400, "bad request", "a node id is 10 lower-case hex digits");
  if (_o.state_dir.empty()) co_return http::error_response(503, "unavailable", "no state directory for the journal");
  auto g = co_await _writes.lock();
  if (!g) co_return http::error_response(503, "unavailable", "shutting down");
  if (auto busy = co_await settle_rotation()) co_return std::move(*busy);
  std::string why;
  auto m = co_await meta(&why);
  if (!m) co_return provider_failure(m.error(), why);
  // Is it a member at all? (Its shard alone says.)
  const auto n_owner = _n.node_shard(id.substr(0, m->shards == 256 ? 2 : 1));
  auto texts = co_await _p.get(n_owner, rr_type::txt, &why);
  if (!texts) co_return provider_failure(texts.error(), why);
  const auto keys = ring();
  bool member = false;
  for (auto& t : *texts)
    if (auto node = records::decode_node(t, n_owner, m->scouts, keys); node && crypto::id10(node->pk) == id)
      member = true;
  if (!member) co_return http::error_response(404, "not found", "no member node " + id);
  if (id == _scout.id10()) co_return http::error_response(409, "conflict", "a scout cannot remove itself");

  rotation r{id, _key, brood_key{_key.kv + 1, crypto::random_secret_key()}};
  auto j = co_await rt::write_file_atomic(journal_path(_o.state_dir), encode_journal(id, r.old_key, r.new_key));
  if (!j) {
    (void)co_await rt::remove_file(journal_path(_o.state_dir));  // nothing was done: no journal either
    co_return http::error_response(503, "unavailable", "rotation journal: " + j.error().message());
  }
  fault_point("journal");
  auto done = co_await rotate(r, &why);
  _rotation_failed = !done;
  if (!done) co_return provider_failure(done.error(), why);  // the journal stays: recovery finishes it
  ++_c.removals;
  _members_read_ms = 0;
  _last_seen.erase(id);
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
  co_return std::nullopt;
}

rt::task<rt::result<void>> api::rotate(const rotation& r, std::string* why) {
  _pending = r;
  _next_key = r.new_key;
  _meta.reset();  // read _meta as it is now, not as cached
  auto m = co_await meta(why);
  if (!m) co_return m.error();
  const auto shards = records::all_shards(m->shards);
  const std::vector<crypto::secret_key> keys{r.new_key.key, r.old_key.key};
  const auto scouts = m->scouts;
  const std::size_t per_edit = std::max<std::size_t>(1, _p.max_sets_per_edit());

  for (int round = 0; round < 4; ++round) {
    // Who is there now, and the vlans whose shards the switch rewrites.
    std::set<std::string> survivors;
    std::vector<crypto::public_key> survivor_keys;
    for (auto& sh : shards) {
      auto texts = co_await _p.get(_n.node_shard(sh), rr_type::txt, why);
      if (!texts) co_return texts.error();
      for (auto& t : *texts)
        if (auto node = records::decode_node(t, _n.node_shard(sh), scouts, keys);
            node && crypto::id10(node->pk) != r.id && survivors.insert(crypto::id10(node->pk)).second)
          survivor_keys.push_back(node->pk);
    }
    auto vl_texts = co_await _p.get(_n.vlans(), rr_type::txt, why);
    if (!vl_texts) co_return vl_texts.error();
    std::set<std::uint32_t> vnis;
    for (auto& t : *vl_texts)
      if (auto v = records::decode_vlan(t, _n.vlans(), scouts, keys)) vnis.insert(v->vni);

    // Step 2: the new key, sealed to every survivor; the removed node's _k goes.
    std::vector<rrset> key_sets{{_n.key(r.id), rr_type::txt, _o.ttl, {}}};
    for (auto& pk : survivor_keys) {
      auto k = records::encode_key(r.new_key.kv, r.new_key.key, pk, now_ms(), _n.key(crypto::id10(pk)), _scout);
      if (!k) continue;  // no X25519 form: such a node could never have been approved
      key_sets.push_back({_n.key(crypto::id10(pk)), rr_type::txt, _o.ttl, {*k}});
    }
    auto key_batches = provider::batches(std::move(key_sets), _p);
    for (auto& part : key_batches) {
      auto k = co_await _p.apply(std::move(part), why);
      ++_c.provider_edits;
      if (!k) co_return k.error();
    }
    for (auto& pk : survivor_keys) _keys_out.insert(crypto::id10(pk));
    _keys_out.erase(r.id);
    if (fault_point("keys")) {
      if (why) *why = "BROOD_FAULT: failing after step keys";
      co_return provider::error::unavailable;
    }

    // Step 3: the switch, set by set (an UPDATE has a size limit; survivors hold both keys
    // meanwhile), _meta last. A record no key opens stops the switch rather than vanish.
    // The removed node's own shard first: it is what takes the node out of every survivor's
    // WireGuard, so the removal shows as soon as the switch starts, not wherever its shard falls.
    const auto gone_shard = _n.node_shard(r.id.substr(0, m->shards == 256 ? 2 : 1));
    std::vector<std::string> names{gone_shard, _n.vlans()};
    for (auto& sh : shards) {
      if (_n.node_shard(sh) != gone_shard) names.push_back(_n.node_shard(sh));
      for (auto vni : vnis) names.push_back(_n.member_shard(sh, vni));
    }
    bool membership_changed = false;
    std::string unreadable;
    for (std::size_t i = 0; i < names.size() && !membership_changed && unreadable.empty(); i += per_edit) {
      std::vector<rrset> sets;
      for (std::size_t j = i; j < std::min(names.size(), i + per_edit); ++j)
        sets.push_back({names[j], rr_type::txt, _o.ttl, {}});
      provider::provider::edit_fn fn = [&](const std::vector<rrset>& current) {
        membership_changed = false;
        unreadable.clear();
        const auto ts = now_ms();
        auto next = current;
        for (auto& set : next) {
          if (set.values.empty()) continue;
          const auto kind = set.name == _n.vlans()          ? records::set_kind::vlans
                            : set.name.starts_with("_n.") ? records::set_kind::nodes
                                                          : records::set_kind::members;
          auto parts = split_set(set.values, kind, set.name, scouts);
          std::vector<std::string> members;
          for (auto& t : parts.members) {
            if (kind == records::set_kind::vlans) {
              auto v = records::decode_vlan(t, set.name, scouts, keys);
              if (!v) unreadable = set.name;
              else if (!vnis.count(v->vni)) membership_changed = true;  // created meanwhile
              else {
                v->ts = std::max(ts, v->ts + 1);  // newer than what readers hold, whatever this clock says
                members.push_back(records::encode(*v, set.name, r.new_key.key, _scout));
              }
            } else if (kind == records::set_kind::nodes) {
              auto node = records::decode_node(t, set.name, scouts, keys);
              if (!node) unreadable = set.name;
              else if (crypto::id10(node->pk) == r.id) continue;
              else {
                if (!survivors.count(crypto::id10(node->pk))) membership_changed = true;  // no _k yet
                node->ts = std::max(ts, node->ts + 1);
                members.push_back(records::encode(*node, set.name, r.new_key.key, _scout));
              }
            } else {
              auto mem = records::decode_member(t, set.name, scouts, keys);
              if (!mem) unreadable = set.name;
              else if (crypto::id10(mem->pk) == r.id) continue;
              else {
                mem->ts = std::max(ts, mem->ts + 1);
                members.push_back(records::encode(*mem, set.name, r.new_key.key, _scout));
              }
            }
          }
          set.values = rebuild_set(kind, set.name, std::move(members), parts.header, ts, _scout);
        }
        return membership_changed || !unreadable.empty() ? current : next;
      };
      auto w = co_await _p.edit(std::move(sets), std::move(fn), why);
      ++_c.provider_edits;
      if (!w) co_return w.error();
    }
    if (!unreadable.empty()) {
      if (why) *why = "a record in " + unreadable + " opens with neither key; the rotation stops here";
      co_return provider::error::rejected;
    }
    if (membership_changed) continue;  // approved or created meanwhile: seal and switch again

    // _meta last: the new kv, and a removed scout loses its say.
    std::vector<rrset> meta_set{{_n.meta(), rr_type::txt, _o.ttl, {}}};
    bool meta_ok = false;
    provider::provider::edit_fn meta_fn = [&](const std::vector<rrset>& current) {
      meta_ok = false;
      std::optional<records::meta_record> newest;
      for (auto& t : current[0].values)
        if (auto mm = records::decode_meta(t, _n.meta(), scouts); mm && (!newest || mm->ts > newest->ts)) newest = *mm;
      if (!newest) return current;
      meta_ok = true;
      newest->kv = std::max(newest->kv, r.new_key.kv);
      newest->ts = std::max(now_ms(), newest->ts + 1);
      std::erase_if(newest->scouts, [&](const crypto::public_key& pk) { return crypto::id10(pk) == r.id; });
      auto next = current;
      next[0].values = {records::encode(*newest, _n.meta(), _scout)};
      return next;
    };
    auto mw = co_await _p.edit(std::move(meta_set), std::move(meta_fn), why);
    ++_c.provider_edits;
    if (!mw) co_return mw.error();
    if (!meta_ok) {
      if (why) *why = "_meta is not signed by a scout this one trusts";
      co_return provider::error::rejected;
    }
    if (fault_point("switch")) {
      if (why) *why = "BROOD_FAULT: failing after step switch";
      co_return provider::error::unavailable;
    }

    // Step 4: the new key is the key.
    auto saved = co_await rt::write_file_atomic(_o.state_dir + "/brood.key",
                                                std::to_string(r.new_key.kv) + " " + crypto::base64(r.new_key.key) + "\n");
    if (!saved) {
      if (why) *why = "brood.key: " + saved.error().message();
      co_return saved.error();
    }
    _key = r.new_key;
    _next_key.reset();
    _pending.reset();
    _meta.reset();  // re-read: the switch wrote a newer one
    fault_point("saved");
    // A journal left behind only makes the next start redo harmless steps.
    if (auto gone = co_await rt::remove_file(journal_path(_o.state_dir)); !gone)
      std::fprintf(stderr, "brood-api: rotation journal: %s\n", gone.error().message().c_str());
    co_return rt::result<void>{};
  }
  if (why) *why = "nodes kept being approved during the rotation";
  co_return provider::error::conflict;
}

}  // namespace brood::api
