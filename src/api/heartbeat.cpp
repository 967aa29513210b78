// brood-api: what running nodes call — POST /heartbeat (liveness, a picked-up _k retired, new
// endpoints written) and GET /watch (SPEC §5.5, §5.9). Only admitted nodes are served, judged by
// their whole key against the view: a stranger's request costs no provider call and no memory.
#include <brood/api/api.hpp>
#include <brood/json/value.hpp>
#include <brood/json/writer.hpp>
#include <brood/records/node.hpp>

#include "handler_util.hpp"

#include <algorithm>

namespace brood::api {

using provider::rr_type;
using provider::rrset;

std::variant<crypto::public_key, http::response> api::signed_member(const http::request& req, std::int64_t t) {
  auto pk = _verifier.verify(req, t, [&](const crypto::public_key& k) { return _sv.node(k) != nullptr; });
  if (!pk) {
    ++_c.auth_failures;
    if (pk.error() == auth::error::unknown_key)
      return http::error_response(403, "forbidden", "not a member of this brood (as this scout last read it)");
    return signature_refused(pk.error(), t);
  }
  return *pk;
}

rt::task<http::response> api::watch(const http::request& req) {
  if (auto refused = admit(req, false)) co_return std::move(*refused);
  auto who = signed_member(req, now());
  if (auto* refused = std::get_if<http::response>(&who)) co_return std::move(*refused);
  auto stream = _watch.subscribe(crypto::base64url(std::get<crypto::public_key>(who)));
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
  if (auto refused = admit(req, false)) co_return std::move(*refused);
  const auto t = now();
  auto who = signed_member(req, t);
  if (auto* refused = std::get_if<http::response>(&who)) co_return std::move(*refused);
  const auto pk = std::get<crypto::public_key>(who);
  _last_seen[pk] = t;
  ++_c.heartbeats;
  auto body = json::parse(req.body.empty() ? std::string_view("{}") : std::string_view(req.body));
  if (!body || !body->is_object()) co_return http::error_response(400, "bad request", "expected a JSON object");
  // A node that reports the current key version has picked up its _k: the record goes.
  if (const json::value* kv = body->find("kv"))
    if (auto kvi = kv->as_int(); kvi && *kvi > 0) co_await retire_key(pk, static_cast<std::uint64_t>(*kvi));
  // Endpoints the node reports (what its STUN saw): written to its _n record when they changed.
  std::string endpoints_outcome;
  if (const json::value* eps = body->find("endpoints")) {
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
    auto u = co_await update_endpoints(pk, std::move(*valid), t);
    if (auto* refused = std::get_if<http::response>(&u)) co_return std::move(*refused);
    endpoints_outcome = std::get<std::string>(u);
  }
  json::writer out;
  out.begin_object().key("kv").number(static_cast<std::int64_t>(_key.kv)).key("status").string("ok");
  if (!endpoints_outcome.empty()) out.key("endpoints").string(endpoints_outcome);
  out.end_object();
  co_return json_ok(200, out.take());
}

rt::task<void> api::retire_key(const crypto::public_key& pk, std::uint64_t reported) {
  const auto id = crypto::id10(pk);
  // Only when the view says a _k is there (a heartbeat in steady state costs no provider call),
  // not during a rotation, and never a scout's: any process of that scout may still need it to
  // follow the key (catch_up_key).
  if (!_sv.keys_out.count(id) || _next_key || reported != _key.kv || !_sv.view.meta) co_return;
  const auto& scouts = _sv.view.meta->scouts;
  if (std::find(scouts.begin(), scouts.end(), pk) != scouts.end()) co_return;
  auto c = co_await begin(lease_use::try_once, "retire");
  if (std::holds_alternative<http::response>(c)) co_return;
  const auto owner = _n.key(id);
  const auto signers = _sv.trust.scouts;
  (void)co_await commit(std::get<change>(c), owner, [&](const std::vector<rrset>& current) {
    auto next = current;
    std::erase_if(next[0].values, [&](const std::string& text) {
      auto k = records::decode_key(text, owner, signers);
      return !k || k->kv <= reported;  // what it picked up, or garbage (anything newer stays)
    });
    return next;
  });
}

rt::task<std::variant<std::string, http::response>> api::update_endpoints(const crypto::public_key& pk,
                                                                         std::vector<std::string> reported,
                                                                         std::int64_t t) {
  // At most one endpoint write per node per hold-down: a node flapping between two addresses
  // must not spend the provider's budget. Its next heartbeat after the hold-down writes. Checked
  // again under the lock: two heartbeats may have waited for it together.
  auto settled = [&]() -> const char* {
    const auto* n = _sv.node(pk);
    if (n && n->endpoints == reported) return "same";
    if (auto last = _endpoints_written.find(pk); last != _endpoints_written.end() && t - last->second < endpoint_hold_ms)
      return "later";
    if (_next_key || _pending) return "later";  // a rotation is switching keys; a later heartbeat writes
    return nullptr;
  };
  if (const char* answer = settled()) co_return answer;
  auto c = co_await begin(lease_use::try_once, "endpoints");
  if (std::holds_alternative<http::response>(c)) co_return "later";  // behind, or shutting down
  if (const char* answer = settled()) co_return answer;
  const auto owner = _n.node_shard(records::shard_of(pk, std::get<change>(c).meta.shards));
  bool found = false, unverified = false, changed = false;
  auto fail = co_await commit(std::get<change>(c), owner, [&](const std::vector<rrset>& current) {
    found = unverified = changed = false;
    auto base = base_of(owner, current);
    const auto* set = _sv.node_shard(records::shard_of(pk, _sv.view.meta->shards));
    if (!base || !set) {
      unverified = !base;
      return current;
    }
    auto members = base->first;
    for (std::size_t i = 0; i < set->members.size(); ++i) {
      if (set->members[i].pk != pk) continue;
      found = true;
      if (set->members[i].endpoints == reported) return current;
      auto node = set->members[i];
      node.endpoints = reported;
      node.ts = std::max(now(), node.ts + 1);  // newer than what readers hold, whatever this clock says
      members[i] = records::encode(node, owner, _key.key, _scout);
      changed = true;
    }
    if (!found) return current;
    return std::vector<rrset>{{owner, rr_type::txt, _o.ttl, rebuilt(records::set_kind::nodes, owner, members, base->second)}};
  });
  if (fail) co_return std::move(*fail);
  if (unverified) co_return "later";
  if (!found) co_return http::error_response(403, "forbidden", "not a member of this brood");
  if (changed) {
    ++_c.endpoint_updates;
    _endpoints_written[pk] = t;
    co_return "updated";
  }
  co_return "same";
}

}  // namespace brood::api
