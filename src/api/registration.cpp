// brood-api: registration (POST /register), the operator's view of it (GET /pending, GET
// /members), approval (POST /approve/<id>), refusal (DELETE /pending/<id>) and a node's own
// status (GET /nodes/<id>, which a pending node long-polls). A node is its whole public key: two
// keys sharing an id10 are refused at registration, and an approval that would be ambiguous is
// refused.
#include <brood/api/api.hpp>
#include <brood/json/value.hpp>
#include <brood/json/writer.hpp>
#include <brood/records/node.hpp>
#include <brood/records/overlay_ip.hpp>
#include <brood/rt/with_timeout.hpp>

#include "handler_util.hpp"

#include <algorithm>
#include <charconv>
#include <set>

namespace brood::api {

using provider::rr_type;
using provider::rrset;

void api::membership_changed() noexcept {
  const auto waiters = std::exchange(_node_waiters, {});
  for (auto* w : waiters) w->notify();
}

rt::task<http::response> api::do_register(const http::request& req) {
  if (auto refused = admit(req, false)) co_return std::move(*refused);
  if (auto refused = over_limit(_register_limit, req)) co_return std::move(*refused);
  auto pk = _verifier.verify(req, now());
  if (!pk) {
    ++_c.auth_failures;
    co_return signature_refused(pk.error(), now());
  }
  auto body = json::parse(req.body);
  const json::value* rec = body ? body->find("record") : nullptr;
  if (!rec || !rec->as_string()) co_return http::error_response(400, "bad request", "expected {\"record\": \"<_p record>\"}");
  const auto shards = _sv.view.meta->shards;
  const auto shard = records::shard_of(*pk, shards);
  const auto p_owner = _n.pending_shard(shard);
  // The record must name the key that signed the request (checked first: it also says which
  // shard the record belongs to, and so which owner name its signature covers).
  auto fields = records::field_list::parse(*rec->as_string());
  auto named = fields ? fields->get("pk") : std::nullopt;
  if (!named) co_return http::error_response(400, "bad record", "not a _p record with a pk= field");
  if (*named != crypto::base64url(*pk))
    co_return http::error_response(403, "forbidden", "the record names another node's key");
  auto pending = records::decode_pending(*rec->as_string(), p_owner);
  if (!pending) co_return http::error_response(400, "bad record", pending.error().message());
  // Identity is the whole key: another key whose id10 is the same cannot register.
  const auto id = crypto::id10(*pk);
  for (auto* n : _sv.nodes_with_id(id))
    if (n->pk != *pk) co_return http::error_response(409, "conflict", "another node's key has the id " + id);
  for (auto* r : _sv.pending_with_id(id))
    if (r->record.pk != *pk) co_return http::error_response(409, "conflict", "another key is registered as " + id);
  auto answer = [&](int status, const char* state) {
    json::writer out;
    out.begin_object().key("id").string(id).key("status").string(state).end_object();
    return json_ok(status, out.take());
  };
  if (_sv.node(*pk)) co_return answer(200, "approved");
  // A registration dated far from now would outlive its expiry, or be gone at once.
  if (const auto off = pending->ts - now(); off > _o.skew.count() || -off > _o.skew.count())
    co_return http::error_response(400, "bad record", "the record's ts is " + std::to_string(off / 1000) +
                                                          " s from this scout's clock (at most " +
                                                          std::to_string(_o.skew.count() / 1000) + " s allowed)");
  // The same registration again (an agent restarted while it waits): nothing to write until
  // half its lifetime has passed.
  const auto* held = _sv.pending_of(*pk);
  if (held && held->record.host == pending->host && held->record.endpoints == pending->endpoints &&
      now() - held->record.ts < scout_view::pending_ttl_ms / 2)
    co_return answer(202, "pending");
  auto busy = [](std::string why) {
    auto r = http::error_response(503, "too many registrations", std::move(why));
    r.headers.push_back({"retry-after", "60"});
    return r;
  };
  // Caps checked against the view first, so that a full shard costs no provider call; again
  // inside the edit, against what the edit read.
  if (!held && _sv.pending_count() >= _o.max_pending)
    co_return busy("too many registrations wait for approval; approve or wait for them to expire");
  if (auto it = _sv.pending.find(shard);
      !held && it != _sv.pending.end() && it->second.size() >= _o.max_pending_per_shard)
    co_return busy("this key's registration shard is full; approve or wait for registrations to expire");
  // Every client's registrations together: what strangers can spend of the provider's budget.
  if (_register_writes.take("", std::chrono::steady_clock::now()).count() > 0) {
    ++_c.rate_limited;
    co_return busy("registrations are arriving faster than this scout writes them; retry later");
  }

  auto c = co_await begin(lease_use::none, "register");
  if (auto* refused = std::get_if<http::response>(&c)) co_return std::move(*refused);
  enum class outcome { written, full_shard, full } result = outcome::written;
  const std::string text = *rec->as_string();
  auto fail = co_await commit(std::get<change>(c), p_owner, [&](const std::vector<rrset>& current) {
    result = outcome::written;
    // The shard as the view holds it now: the node's older registration, expired ones and
    // garbage go; the rest stay as they are.
    std::vector<std::string> kept;
    if (auto it = _sv.pending.find(shard); it != _sv.pending.end())
      for (auto& r : it->second)
        if (r.record.pk != *pk) kept.push_back(r.text);
    const bool renewal = _sv.pending_of(*pk) != nullptr;
    if (!renewal && kept.size() >= _o.max_pending_per_shard) {
      result = outcome::full_shard;
      return current;
    }
    if (!renewal && _sv.pending_count() >= _o.max_pending) {
      result = outcome::full;
      return current;
    }
    kept.push_back(text);
    return std::vector<rrset>{{p_owner, rr_type::txt, _o.ttl, std::move(kept)}};
  });
  if (fail) co_return std::move(*fail);
  if (result == outcome::full_shard)
    co_return busy("this key's registration shard is full; approve or wait for registrations to expire");
  if (result == outcome::full)
    co_return busy("too many registrations wait for approval; approve or wait for them to expire");
  ++_c.registrations;
  membership_changed();
  co_return answer(202, "pending");
}

rt::task<http::response> api::reject(const http::request& req, std::string id) {
  if (auto refused = admit(req, true)) co_return std::move(*refused);
  if (!id10_ok(id)) co_return http::error_response(400, "bad request", "a node id is 10 lower-case hex digits");
  auto c = co_await begin(lease_use::wait, "reject");
  if (auto* refused = std::get_if<http::response>(&c)) co_return std::move(*refused);
  auto& ch = std::get<change>(c);
  const auto shard = records::shard_of_id(id, ch.meta.shards);
  const auto p_owner = _n.pending_shard(shard);
  std::size_t dropped = 0;
  auto fail = co_await commit(ch, p_owner, [&](const std::vector<rrset>& current) {
    // Every registration under this id goes (two keys sharing an id10 included): the operator
    // refuses the id, and a node that wants in registers again.
    dropped = 0;
    std::vector<std::string> kept;
    if (auto it = _sv.pending.find(shard); it != _sv.pending.end())
      for (auto& r : it->second) {
        if (crypto::id10(r.record.pk) == id)
          ++dropped;
        else
          kept.push_back(r.text);
      }
    if (dropped == 0) return current;
    return std::vector<rrset>{{p_owner, rr_type::txt, _o.ttl, std::move(kept)}};
  });
  if (fail) co_return std::move(*fail);
  if (dropped == 0) co_return http::error_response(404, "not found", "no pending registration for " + id);
  membership_changed();
  json::writer out;
  out.begin_object().key("id").string(id).key("status").string("rejected").end_object();
  co_return json_ok(200, out.take());
}

rt::task<http::response> api::pending(const http::request& req) {
  if (auto refused = admit(req, true)) co_return std::move(*refused);
  json::writer w;
  w.begin_array();
  for (auto& [_, regs] : _sv.pending)
    for (auto& r : regs) {
      const auto& p = r.record;
      w.begin_object().key("id").string(crypto::id10(p.pk)).key("pk").string(crypto::base64url(p.pk));
      w.key("host").string(p.host);
      write_endpoints(w, p.endpoints);
      w.key("ts").number(p.ts).end_object();
    }
  w.end_array();
  co_return json_ok(200, w.take());
}

rt::task<http::response> api::approve(const http::request& req, std::string id) {
  if (auto refused = admit(req, true)) co_return std::move(*refused);
  if (!id10_ok(id)) co_return http::error_response(400, "bad request", "a node id is 10 lower-case hex digits");
  std::string role = "worker";
  if (!req.body.empty()) {
    auto body = json::parse(req.body);
    if (!body || !body->is_object()) co_return http::error_response(400, "bad request", "expected {\"role\": ...}");
    if (auto* r = body->find("role")) {
      if (!r->as_string() || (*r->as_string() != "worker" && *r->as_string() != "scout"))
        co_return http::error_response(400, "bad request", "role is \"worker\" or \"scout\"");
      role = *r->as_string();
    }
  }
  auto c = co_await begin(lease_use::wait, "approve");
  if (auto* refused = std::get_if<http::response>(&c)) co_return std::move(*refused);
  auto& ch = std::get<change>(c);
  const auto shard = records::shard_of_id(id, ch.meta.shards);
  const auto p_owner = _n.pending_shard(shard), n_owner = _n.node_shard(shard), k_owner = _n.key(id);
  // Every _n shard is read: the address chosen must be free in all of them.
  std::vector<std::string> owners{p_owner, k_owner};
  for (auto& s : records::all_shards(ch.meta.shards)) owners.push_back(_n.node_shard(s));
  // A scout joins `scouts=` in the same edit: nodes follow the change because this pinned
  // scout signs it, and the new scout's own processes pick up the brood key from its _k.
  if (role == "scout") owners.push_back(_n.meta());

  enum class outcome { approved, not_pending, ambiguous, already, taken_id, full, bad_key, unverifiable } result{};
  std::string ip;
  crypto::public_key pk{};
  auto fail = co_await commit(ch, owners, [&](const std::vector<rrset>& current) {
    result = outcome::approved;
    auto regs = _sv.pending_with_id(id);
    auto nodes = _sv.nodes_with_id(id);
    if (regs.size() > 1) {
      result = outcome::ambiguous;
      return current;
    }
    if (!nodes.empty()) {
      result = regs.empty() || nodes.front()->pk == regs.front()->record.pk ? outcome::already : outcome::taken_id;
      return current;
    }
    if (regs.empty()) {
      result = outcome::not_pending;
      return current;
    }
    const auto reg = *regs.front();
    pk = reg.record.pk;
    std::set<std::string> taken;
    for (auto* n : _sv.view.nodes()) taken.insert(n->ip);
    auto addr = records::overlay_ip(pk, ch.meta.subnet, [&](std::string_view a) { return taken.count(std::string(a)) > 0; });
    if (!addr) {
      result = outcome::full;
      return current;
    }
    ip = *addr;
    auto base = base_of(n_owner, current);
    if (!base) {
      result = outcome::unverifiable;
      return current;
    }
    const auto ts = now();
    auto k = records::encode_key(_key.kv, _key.key, pk, ts, k_owner, _scout);
    if (!k) {
      result = outcome::bad_key;
      return current;
    }
    auto members = base->first;
    members.push_back(records::encode(records::node_record{pk, role, ip, reg.record.endpoints, ts}, n_owner, _key.key, _scout));
    std::vector<std::string> regs_left;
    for (auto& r : _sv.pending[shard])
      if (r.record.pk != pk) regs_left.push_back(r.text);
    std::vector<rrset> out{{p_owner, rr_type::txt, _o.ttl, std::move(regs_left)},
                           {k_owner, rr_type::txt, _o.ttl, {*k}},
                           {n_owner, rr_type::txt, _o.ttl, rebuilt(records::set_kind::nodes, n_owner, members, base->second)}};
    if (role == "scout") {
      // From the verified _meta, never from a text this scout did not verify.
      auto m = _sv.view.meta ? *_sv.view.meta : ch.meta;
      if (std::find(m.scouts.begin(), m.scouts.end(), pk) == m.scouts.end()) m.scouts.push_back(pk);
      m.ts = std::max(ts, m.ts + 1);
      out.push_back({_n.meta(), rr_type::txt, _o.ttl, {records::encode(m, _n.meta(), _scout)}});
    }
    return out;
  });
  if (fail) co_return std::move(*fail);
  switch (result) {
    case outcome::not_pending: co_return http::error_response(404, "not found", "no pending registration for " + id);
    case outcome::ambiguous:
      co_return http::error_response(409, "conflict", "two keys are registered as " + id + "; remove one first");
    case outcome::already: co_return http::error_response(409, "conflict", id + " is already a member");
    case outcome::taken_id: co_return http::error_response(409, "conflict", "another member's key has the id " + id);
    case outcome::full: co_return http::error_response(409, "conflict", "no free address left in " + ch.meta.subnet);
    case outcome::bad_key: co_return http::error_response(400, "bad request", "the node's key has no X25519 form");
    case outcome::unverifiable: co_return unverifiable(n_owner);
    case outcome::approved: break;
  }
  ++_c.approvals;
  membership_changed();
  json::writer out;
  out.begin_object().key("id").string(id).key("ip").string(ip).key("role").string(role).end_object();
  co_return json_ok(200, out.take());
}

rt::task<http::response> api::members(const http::request& req) {
  if (auto refused = admit(req, true)) co_return std::move(*refused);
  // Rendered once per view version: an operator's `watch broodctl members` or a dashboard
  // costs a copy, not 100 nodes' JSON, per request.
  if (_members_body.version == _sv.version() && !_members_body.body.empty())
    co_return json_ok(200, _members_body.body);
  json::writer w;
  w.begin_array();
  for (auto* node : _sv.view.nodes()) {
    w.begin_object().key("id").string(crypto::id10(node->pk)).key("pk").string(crypto::base64url(node->pk));
    w.key("role").string(node->role).key("ip").string(node->ip);
    write_endpoints(w, node->endpoints);
    w.end_object();
  }
  w.end_array();
  _members_body = {_sv.version(), w.take()};
  co_return json_ok(200, _members_body.body);
}

namespace {
/// `wait=<seconds>` from a request's query: how long a long poll may be held (at most 20 s).
std::chrono::milliseconds wait_of(std::string_view path) {
  auto q = path.find("?wait=");
  if (q == std::string_view::npos) q = path.find("&wait=");
  if (q == std::string_view::npos) return std::chrono::milliseconds(0);
  std::int64_t s = 0;
  auto v = path.substr(q + 6);
  std::from_chars(v.data(), v.data() + v.size(), s);
  return std::chrono::seconds(std::clamp<std::int64_t>(s, 0, 20));
}
}  // namespace

rt::task<http::response> api::node(const http::request& req, std::string id) {
  if (auto refused = admit(req, false)) co_return std::move(*refused);
  if (!id10_ok(id)) co_return http::error_response(400, "bad request", "a node id is 10 lower-case hex digits");
  // An operator may ask about anyone; a node about itself — the key that signed, whole (how a
  // pending node learns it was approved before it reads its _k).
  std::optional<crypto::public_key> self;
  if (!auth::operator_token_ok(req.header_value("authorization"), _o.operator_token)) {
    auto pk = _verifier.verify(req, now(), [&](const crypto::public_key& k) { return _sv.node(k) || _sv.pending_of(k); });
    if (!pk) {
      ++_c.auth_failures;
      if (pk.error() == auth::error::unknown_key) co_return http::error_response(404, "not found", "no node " + id);
      co_return signature_refused(pk.error(), now());
    }
    if (crypto::id10(*pk) != id) co_return http::error_response(403, "forbidden", "a node may ask about itself only");
    self = *pk;
  }
  auto answer = [&]() -> std::optional<http::response> {
    json::writer w;
    const records::node_record* n = nullptr;
    if (self) {
      n = _sv.node(*self);
    } else if (auto found = _sv.nodes_with_id(id); found.size() == 1) {
      n = found.front();
    }
    if (n) {
      w.begin_object().key("id").string(id).key("status").string("approved").key("role").string(n->role);
      w.key("ip").string(n->ip).key("kv").number(static_cast<std::int64_t>(_key.kv)).end_object();
      return json_ok(200, w.take());
    }
    return std::nullopt;
  };
  if (auto a = answer()) co_return std::move(*a);
  const bool pending = self ? _sv.pending_of(*self) != nullptr : !_sv.pending_with_id(id).empty();
  if (!pending) co_return http::error_response(404, "not found", "no node " + id);
  // Pending: held until approved (or `wait` passes), so that a waiting node costs one request
  // per wait and learns of its approval at once.
  // One held poll per key: a second from the same node is answered at once, so a registration
  // buys one held request (the registrations are capped), never a connection per request.
  const bool may_hold = !self || _long_polls.insert(*self).second;
  struct poll_slot {
    std::set<crypto::public_key>* polls;
    std::optional<crypto::public_key> key;
    ~poll_slot() {
      if (key) polls->erase(*key);
    }
  } slot{&_long_polls, self && may_hold ? self : std::nullopt};
  if (const auto wait = wait_of(req.path); wait.count() > 0 && may_hold) {
    rt::wait_slot woken;
    const auto until = rt::clock::now() + wait;
    while (rt::clock::now() < until) {
      _node_waiters.push_back(&woken);
      auto w = co_await rt::with_timeout(until - rt::clock::now(), [&] { return woken.wait(); });
      std::erase(_node_waiters, &woken);
      if (!w) break;  // the wait ended (or the request was cancelled)
      if (auto a = answer()) co_return std::move(*a);
    }
    if (auto a = answer()) co_return std::move(*a);
  }
  json::writer w;
  w.begin_object().key("id").string(id).key("status").string("pending").end_object();
  co_return json_ok(200, w.take());
}

}  // namespace brood::api
