// brood-api: what running nodes call — POST /heartbeat and GET /watch — and the scout's
// liveness record (SPEC §5.5, §5.9). Heartbeats are kept in memory; the provider sees one `_l`
// write per scout when the set of silent nodes changes, and a refresh every 2 × keepalive so
// readers can tell the evidence is fresh — about five writes per scout per five minutes in
// steady state, whatever the brood's size.
#include <brood/api/api.hpp>
#include <brood/api/set_edit.hpp>
#include <brood/json/value.hpp>
#include <brood/records/node.hpp>
#include <brood/records/trail.hpp>
#include <brood/rt/timer.hpp>

#include "handler_util.hpp"

#include <algorithm>
#include <cstdio>

namespace brood::api {

using provider::rr_type;
using provider::rrset;

rt::task<rt::result<std::vector<std::string>>> api::member_ids(std::int64_t at, std::string* why) {
  if (_members_read_ms != 0 && at - _members_read_ms < 300'000) co_return _members_cache;
  // One read at a time: a hundred heartbeats arriving after an approval wait for one read of
  // the shards instead of sending sixteen queries each.
  auto g = co_await _members_lock.lock();
  if (!g) co_return g.error();  // cancelled while waiting
  if (_members_read_ms != 0 && at - _members_read_ms < 300'000) co_return _members_cache;
  auto m = co_await meta(why);
  if (!m) co_return m.error();
  const auto keys = ring();
  std::vector<std::string> ids;
  for (auto& s : records::all_shards(m->shards)) {
    auto texts = co_await _p.get(_n.node_shard(s), rr_type::txt, why);
    if (!texts) co_return texts.error();
    for (auto& t : *texts)
      if (!records::is_set_header(t))
        if (auto node = records::decode_node(t, _n.node_shard(s), m->scouts, keys)) {
          ids.push_back(crypto::id10(node->pk));
          _endpoints[ids.back()] = node->endpoints;
        }
  }
  std::sort(ids.begin(), ids.end());
  _members_cache = ids;
  _members_read_ms = at;
  co_return ids;
}

rt::task<std::variant<std::string, http::response>> api::signed_member(const http::request& req, std::int64_t t) {
  auto pk = _verifier.verify(req, t);
  if (!pk) {
    ++_c.auth_failures;
    co_return http::error_response(401, "unauthenticated", pk.error().message());
  }
  std::string id = crypto::id10(*pk);
  std::string why;
  auto ids = co_await member_ids(t, &why);
  if (!ids) co_return provider_failure(ids.error(), why);
  if (!std::binary_search(ids->begin(), ids->end(), id) && t - _members_read_ms > 5'000) {
    // Perhaps approved by another scout since the list was read (at most one re-read per 5 s:
    // strangers' requests must not turn into provider reads).
    _members_read_ms = 0;
    ids = co_await member_ids(t, &why);
    if (!ids) co_return provider_failure(ids.error(), why);
  }
  if (!std::binary_search(ids->begin(), ids->end(), id))
    co_return http::error_response(403, "forbidden", id + " is not a member of this brood");
  co_return id;
}

rt::task<http::response> api::watch(const http::request& req) {
  ++_c.requests;
  auto who = co_await signed_member(req, now());
  if (auto* refused = std::get_if<http::response>(&who)) co_return std::move(*refused);
  auto stream = _watch.subscribe(std::get<std::string>(who));
  if (!stream) {
    auto r = http::error_response(503, "busy", "too many watchers; poll DNS and try again later");
    r.headers.push_back({"retry-after", "30"});
    co_return r;
  }
  http::response r;
  r.status = 200;
  r.headers.push_back({"content-type", "application/x-ndjson"});
  r.headers.push_back({"cache-control", "no-store"});
  r.stream = std::move(stream);
  co_return r;
}

rt::task<http::response> api::heartbeat(const http::request& req) {
  ++_c.requests;
  const auto t = now();
  auto who = co_await signed_member(req, t);
  if (auto* refused = std::get_if<http::response>(&who)) co_return std::move(*refused);
  const std::string id = std::get<std::string>(who);
  std::string why;
  _last_seen[id] = t;
  ++_c.heartbeats;
  // A node that reports the current key version has picked up its _k: the record goes.
  auto body = json::parse(req.body.empty() ? std::string_view("{}") : std::string_view(req.body));
  const json::value* kv = body ? body->find("kv") : nullptr;
  auto kvi = kv ? kv->as_int() : rt::result<std::int64_t>(std::errc::invalid_argument);
  // (Once per node and API lifetime, or after this API wrote it one: a heartbeat in steady
  // state costs no provider call.)
  if (kvi && static_cast<std::uint64_t>(*kvi) == _key.kv && !_next_key &&
      (_keys_out.count(id) > 0 || !_keys_checked.count(id))) {
    // Under the write lock, and only a _k no newer than what the node reports: a rotation may
    // have written a new one since this heartbeat was sent.
    auto g = co_await _writes.lock();
    auto m = co_await meta(&why);
    if (g && m && !_next_key && static_cast<std::uint64_t>(*kvi) == _key.kv) {
      const auto owner = _n.key(id);
      const auto reported = static_cast<std::uint64_t>(*kvi);
      const auto signers = m->scouts;
      std::vector<rrset> sets{{owner, rr_type::txt, _o.ttl, {}}};
      provider::provider::edit_fn fn = [&](const std::vector<rrset>& current) {
        auto next = current;
        std::erase_if(next[0].values, [&](const std::string& text) {
          auto k = records::decode_key(text, owner, signers);
          return k && k->kv <= reported;  // what it picked up (anything else stays)
        });
        return next;
      };
      auto w = co_await _p.edit(std::move(sets), std::move(fn), &why);
      if (w) {
        _keys_out.erase(id);
        _keys_checked.insert(id);
        if (w->removed > 0) ++_c.provider_edits;
      }
    }
  }
  // Endpoints the node reports (what its STUN saw): written to its _n record when they changed.
  std::string endpoints_outcome;
  if (const json::value* eps = body ? body->find("endpoints") : nullptr) {
    std::vector<std::string> reported;
    bool strings = eps->as_array() != nullptr;
    if (strings)
      for (auto& e : *eps->as_array()) {
        if (!e.as_string()) strings = false;
        else reported.push_back(*e.as_string());
      }
    auto valid = strings ? records::parse_endpoints_json(records::endpoints_json(reported))
                         : rt::result<std::vector<std::string>>(std::errc::invalid_argument);
    if (!valid)
      co_return http::error_response(400, "bad request", "endpoints: up to 8 of \"1.2.3.4:51820\" or \"[2001:db8::1]:51820\"");
    auto u = co_await update_endpoints(id, std::move(*valid), t);
    if (auto* refused = std::get_if<http::response>(&u)) co_return std::move(*refused);
    endpoints_outcome = std::get<std::string>(u);
  }
  json::writer out;
  out.begin_object().key("kv").number(static_cast<std::int64_t>(_key.kv)).key("status").string("ok");
  if (!endpoints_outcome.empty()) out.key("endpoints").string(endpoints_outcome);
  out.end_object();
  co_return json_ok(200, out.take());
}

rt::task<std::variant<std::string, http::response>> api::update_endpoints(const std::string& id,
                                                                         std::vector<std::string> reported,
                                                                         std::int64_t t) {
  // At most one endpoint write per node per hold-down: a node flapping between two addresses
  // must not spend the provider's budget. Its next heartbeat after the hold-down writes. Checked
  // again under the lock: two heartbeats may have waited for it together.
  auto settled = [&]() -> const char* {
    if (auto known = _endpoints.find(id); known != _endpoints.end() && known->second == reported) return "same";
    if (auto last = _endpoints_written.find(id); last != _endpoints_written.end() && t - last->second < endpoint_hold_ms)
      return "later";
    if (_next_key) return "later";  // a rotation is switching keys; a later heartbeat writes
    return nullptr;
  };
  if (const char* answer = settled()) co_return answer;
  auto g = co_await _writes.lock();
  if (!g) co_return http::error_response(503, "unavailable", "shutting down");
  if (const char* answer = settled()) co_return answer;
  std::string why;
  auto m = co_await meta(&why);
  if (!m) co_return provider_failure(m.error(), why);
  const auto owner = _n.node_shard(id.substr(0, m->shards == 256 ? 2 : 1));
  const auto scouts = m->scouts;
  const std::vector<crypto::secret_key> keys = ring();
  std::vector<rrset> sets{{owner, rr_type::txt, _o.ttl, {}}};
  bool found = false;
  provider::provider::edit_fn fn = [&](const std::vector<rrset>& current) {
    found = false;
    bool changed = false;
    const auto ts = now_ms();
    auto set = split_set(current[0].values, records::set_kind::nodes, owner, scouts);
    for (auto& text : set.members) {
      auto node = records::decode_node(text, owner, scouts, keys);
      if (!node || crypto::id10(node->pk) != id) continue;
      found = true;
      if (node->endpoints == reported) continue;
      node->endpoints = reported;
      node->ts = std::max(ts, node->ts + 1);  // newer than what readers hold, whatever this clock says
      text = records::encode(*node, owner, _key.key, _scout);
      changed = true;
    }
    if (!changed) return current;
    auto next = current;
    next[0].values = rebuild_set(records::set_kind::nodes, owner, std::move(set.members), set.header, ts, _scout);
    return next;
  };
  auto w = co_await _p.edit(std::move(sets), std::move(fn), &why);
  if (!w) co_return provider_failure(w.error(), why);
  if (!found) co_return http::error_response(403, "forbidden", id + " is not a member of this brood");
  _endpoints[id] = reported;
  if (w->changed_sets > 0) {
    ++_c.provider_edits;
    ++_c.endpoint_updates;
    _endpoints_written[id] = t;
    co_return "updated";
  }
  co_return "same";
}

rt::task<rt::result<bool>> api::write_liveness(std::int64_t at, std::string* why) {
  auto m = co_await meta(why);
  if (!m) co_return m.error();
  const auto stale_ms = static_cast<std::int64_t>(m->stale) * 1000;
  const auto refresh_ms = static_cast<std::int64_t>(m->keepalive) * 2000;
  auto ids = co_await member_ids(at, why);
  if (!ids) co_return ids.error();
  std::vector<std::string> down;
  for (auto& id : *ids) {
    if (id == _scout.id10()) continue;
    auto seen = _last_seen.find(id);
    const auto last = seen == _last_seen.end() ? _started_ms : seen->second;
    if (at - last > stale_ms) down.push_back(id);
  }
  // `ids` is sorted, so `down` is too, as the record requires.
  if (down == _last_down && _last_liveness_ms != 0 && at - _last_liveness_ms < refresh_ms) co_return false;
  const auto id = _scout.id10();
  const auto text = records::encode(records::liveness_record{id, down, at}, _n.liveness(), _scout);
  const auto scouts = m->scouts;
  std::vector<rrset> sets{{_n.liveness(), rr_type::txt, _o.ttl, {}}};
  provider::provider::edit_fn fn = [&](const std::vector<rrset>& current) {
    auto next = current;
    auto& values = next[0].values;
    std::erase_if(values, [&](const std::string& t) {
      auto l = records::decode_liveness(t, _n.liveness(), scouts);
      return !l || l->scout == id;  // this scout's older record (or garbage)
    });
    values.push_back(text);
    return next;
  };
  auto w = co_await _p.edit(std::move(sets), std::move(fn), why);
  ++_c.provider_edits;
  if (!w) co_return w.error();
  _last_down = std::move(down);
  _last_liveness_ms = at;
  ++_c.liveness_writes;
  co_return true;
}

rt::task<void> api::run_liveness() {
  for (;;) {
    std::string why;
    std::uint32_t keepalive = 30;
    if (auto m = co_await meta(&why)) keepalive = m->keepalive;
    auto s = co_await rt::sleep_for(std::chrono::seconds(keepalive));
    if (!s) co_return;  // cancelled
    if (_rotation_failed) {  // finish it without waiting for an operator's next change
      auto g = co_await _writes.lock();
      if (!g) co_return;
      auto busy = co_await settle_rotation();
      if (busy) std::fprintf(stderr, "brood-api: rotation still unfinished: %s\n", busy->body.c_str());
    }
    auto w = co_await write_liveness(now(), &why);
    if (!w) std::fprintf(stderr, "brood-api: liveness: %s: %s\n", w.error().message().c_str(), why.c_str());
  }
}

}  // namespace brood::api
