// brood-api handlers: registration, pending nodes, approval, members, node status, health.
#include <brood/api/api.hpp>
#include <brood/api/set_edit.hpp>
#include "handler_util.hpp"
#include <brood/json/value.hpp>
#include <brood/json/writer.hpp>
#include <brood/records/node.hpp>
#include <brood/records/overlay_ip.hpp>
#include <brood/net/socket_address.hpp>

#include <algorithm>
#include <set>

namespace brood::api {

using provider::rr_type;
using provider::rrset;

rt::task<rt::result<provider::write_stats>> bootstrap(provider::provider& p, const records::names& n,
                                                      const crypto::identity& scout, const brood_key& key,
                                                      const bootstrap_params& params, std::string* why) {
  records::meta_record m;
  m.asn = params.asn;
  m.subnet = params.subnet;
  m.kv = key.kv;
  m.keepalive = params.keepalive;
  m.stale = params.stale;
  m.shards = params.shards;
  m.scouts = {scout.pk()};
  m.ts = now_ms();
  const std::string meta_text = records::encode(m, n.meta(), scout);
  std::vector<rrset> sets{{n.meta(), rr_type::txt, 60, {}}, {n.vlans(), rr_type::txt, 60, {}},
                          {n.trails(), rr_type::txt, 60, {}}};
  for (auto& s : records::all_shards(params.shards)) sets.push_back({n.node_shard(s), rr_type::txt, 60, {}});
  // The scout as a member: its own _n (role scout) and _k, SRV and A/AAAA.
  const bool member = !params.address.empty();
  const auto own_shard = n.node_shard(records::shard_of(scout.pk(), params.shards));
  const auto own_key = n.key(scout.id10());
  const auto host = scout.id10() + "." + n.domain();
  std::optional<records::node_record> self;
  if (member) {
    auto ip_of_address = net::socket_address::parse(params.address.find(':') != std::string::npos
                                                        ? "[" + params.address + "]:1"
                                                        : params.address + ":1");
    if (!ip_of_address) {
      if (why) *why = "bootstrap address " + params.address + " is not an IP address";
      co_return std::errc::invalid_argument;
    }
    auto overlay = records::overlay_ip(scout.pk(), params.subnet, [](std::string_view) { return false; });
    if (!overlay) {
      if (why) *why = "no overlay address for the scout in " + params.subnet;
      co_return overlay.error();
    }
    auto ep = *ip_of_address;
    ep.set_port(params.wg_port);
    self = records::node_record{scout.pk(), "scout", *overlay, {ep.to_string()}, now_ms()};
    const bool v6 = ip_of_address->family() == AF_INET6;
    sets.push_back({own_key, rr_type::txt, 60, {}});
    sets.push_back({n.scouts_srv(), rr_type::srv, 60, {}});
    sets.push_back({host, v6 ? rr_type::aaaa : rr_type::a, 60, {}});
  }
  provider::provider::edit_fn fn = [&, meta_text](const std::vector<rrset>& current) {
    auto next = current;
    for (auto& s : next) {
      if (s.name == own_shard && self) {
        // Add the scout's own record unless it is there (a re-run, or a rotation since).
        auto set = split_set(s.values, records::set_kind::nodes, s.name, {scout.pk()});
        bool there = false;
        const std::vector<crypto::secret_key> keys{key.key};
        for (auto& t : set.members)
          if (auto node = records::decode_node(t, s.name, std::vector<crypto::public_key>{scout.pk()}, keys);
              node && node->pk == scout.pk())
            there = true;
        if (!there) {
          set.members.push_back(records::encode(*self, s.name, key.key, scout));
          s.values = rebuild_set(records::set_kind::nodes, s.name, std::move(set.members), set.header, now_ms(), scout);
        }
        continue;
      }
      if (!s.values.empty()) continue;  // already there: left alone
      if (s.name == n.meta()) {
        s.values = {meta_text};
      } else if (s.name == own_key) {
        auto k = records::encode_key(key.kv, key.key, scout.pk(), now_ms(), own_key, scout);
        if (k) s.values = {*k};
      } else if (s.name == n.scouts_srv()) {
        s.values = {"0 100 " + std::to_string(params.api_port) + " " + host};
      } else if (s.name == host) {
        s.values = {params.address};
      } else {
        auto kind = s.name == n.vlans() ? records::set_kind::vlans
                    : s.name == n.trails() ? records::set_kind::trails
                                           : records::set_kind::nodes;
        s.values = rebuild_set(kind, s.name, {}, std::nullopt, now_ms(), scout);
      }
    }
    return next;
  };
  co_return co_await p.edit(std::move(sets), std::move(fn), why);
}

api::api(api_options o, provider::provider& p, const crypto::identity& scout, brood_key key)
    : _o(std::move(o)),
      _watch(_o.watch),
      _wp(p, _watch),
      _p(_wp),
      _scout(scout),
      _key(key),
      _n(_o.domain),
      _verifier(_n.domain(), _o.skew),
      _started_ms(now()), _limit(_o.requests), _register_limit(_o.registrations) {}

namespace {
rt::task<http::response> ready(http::response r) { co_return r; }
}  // namespace

std::optional<http::response> api::over_limit(rate_limiter& limit, const http::request& req) {
  const auto wait = limit.take(client_key(req.remote), std::chrono::steady_clock::now());
  if (wait.count() == 0) return std::nullopt;
  ++_c.rate_limited;
  auto r = http::error_response(429, "too many requests", "this client is over its request rate; retry later");
  r.headers.push_back({"retry-after", std::to_string((wait.count() + 999) / 1000)});
  return r;
}

http::router api::router() {
  http::router r;
  // Every route but /healthz goes through the per-client limit first.
  auto route = [&](std::string method, std::string pattern, http::handler h) {
    r.add(std::move(method), std::move(pattern),
          [this, h = std::move(h)](const http::request& q, const http::route_params& p) -> rt::task<http::response> {
            if (auto refused = over_limit(_limit, q)) return ready(std::move(*refused));
            return h(q, p);
          });
  };
  route("POST", "/register", [this](const http::request& q, const http::route_params&) { return do_register(q); });
  route("GET", "/pending", [this](const http::request& q, const http::route_params&) { return pending(q); });
  route("POST", "/approve/{id}", [this](const http::request& q, const http::route_params& p) {
    return approve(q, std::string(p.get("id")));
  });
  route("GET", "/members", [this](const http::request& q, const http::route_params&) { return members(q); });
  route("GET", "/nodes/{id}", [this](const http::request& q, const http::route_params& p) {
    return node(q, std::string(p.get("id")));
  });
  route("POST", "/heartbeat", [this](const http::request& q, const http::route_params&) { return heartbeat(q); });
  route("GET", "/watch", [this](const http::request& q, const http::route_params&) { return watch(q); });
  route("DELETE", "/nodes/{id}", [this](const http::request& q, const http::route_params& p) {
    return remove_node(q, std::string(p.get("id")));
  });
  route("POST", "/vlans", [this](const http::request& q, const http::route_params&) { return create_vlan(q); });
  route("GET", "/vlans", [this](const http::request& q, const http::route_params&) { return list_vlans(q); });
  route("DELETE", "/vlans/{vni}", [this](const http::request& q, const http::route_params& p) {
    return delete_vlan(q, std::string(p.get("vni")));
  });
  route("POST", "/vlans/{vni}/members", [this](const http::request& q, const http::route_params& p) {
    return add_member(q, std::string(p.get("vni")));
  });
  route("GET", "/vlans/{vni}/members", [this](const http::request& q, const http::route_params& p) {
    return list_members(q, std::string(p.get("vni")));
  });
  route("DELETE", "/vlans/{vni}/members/{id}", [this](const http::request& q, const http::route_params& p) {
    return remove_member(q, std::string(p.get("vni")), std::string(p.get("id")));
  });
  route("POST", "/trails", [this](const http::request& q, const http::route_params&) { return create_trail(q); });
  route("GET", "/trails", [this](const http::request& q, const http::route_params&) { return list_trails(q); });
  route("DELETE", "/trails/{remote}", [this](const http::request& q, const http::route_params& p) {
    return delete_trail(q, std::string(p.get("remote")));
  });
  route("GET", "/status", [this](const http::request& q, const http::route_params&) { return status(q); });
  r.add("GET", "/healthz", [this](const http::request&, const http::route_params&) -> rt::task<http::response> {
    return [](const api* self) -> rt::task<http::response> { co_return self->healthz(); }(this);
  });
  route("GET", "/metrics", [this](const http::request&, const http::route_params&) -> rt::task<http::response> {
    return [](const api* self) -> rt::task<http::response> { co_return self->metrics(); }(this);
  });
  return r;
}

bool api::is_operator(const http::request& req) {
  bool ok = auth::operator_token_ok(req.header_value("authorization"), _o.operator_token);
  if (!ok) ++_c.auth_failures;
  return ok;
}

http::response api::provider_failure(std::error_code e, const std::string& why) {
  ++_c.provider_failures;
  // The provider refused or garbled the change: a bad gateway. It could not be reached, is
  // rationing us, or the records kept changing: try again later.
  const bool later = e == provider::error::unavailable || e == provider::error::rate_limited ||
                     e == provider::error::conflict;
  auto r = http::error_response(later ? 503 : 502, "DNS provider: " + e.message(), why);
  if (later) r.headers.push_back({"retry-after", e == provider::error::rate_limited ? "60" : "5"});
  return r;
}

rt::task<rt::result<records::meta_record>> api::meta(std::string* why) {
  if (_meta) co_return *_meta;
  auto texts = co_await _p.get(_n.meta(), rr_type::txt, why);
  if (!texts) co_return texts.error();
  for (auto& t : *texts) {
    // The first read trusts the scouts _meta lists, which must include this scout.
    auto m = records::decode_meta(t, _n.meta(), {});
    if (m && std::find(m->scouts.begin(), m->scouts.end(), _scout.pk()) != m->scouts.end() &&
        (!_meta || m->ts > _meta->ts))
      _meta = std::move(*m);
  }
  if (!_meta) {
    if (why) *why = "no _meta signed by a scout it lists, with this scout among them (bootstrap first)";
    co_return provider::error::bad_response;
  }
  co_return *_meta;
}

rt::task<http::response> api::do_register(const http::request& req) {
  ++_c.requests;
  if (auto refused = over_limit(_register_limit, req)) co_return std::move(*refused);
  auto pk = _verifier.verify(req, now());
  if (!pk) {
    ++_c.auth_failures;
    co_return http::error_response(401, "unauthenticated", pk.error().message());
  }
  auto body = json::parse(req.body);
  const json::value* rec = body ? body->find("record") : nullptr;
  if (!rec || !rec->as_string()) co_return http::error_response(400, "bad request", "expected {\"record\": \"<_p record>\"}");
  std::string why;
  auto m = co_await meta(&why);
  if (!m) co_return provider_failure(m.error(), why);
  const auto shard = records::shard_of(*pk, m->shards);
  const auto p_owner = _n.pending_shard(shard), n_owner = _n.node_shard(shard);
  // The record must name the key that signed the request (checked first: it also says which
  // shard the record belongs to, and so which owner name its signature covers).
  auto fields = records::field_list::parse(*rec->as_string());
  auto named = fields ? fields->get("pk") : std::nullopt;
  if (!named) co_return http::error_response(400, "bad record", "not a _p record with a pk= field");
  if (*named != crypto::base64url(*pk))
    co_return http::error_response(403, "forbidden", "the record names another node's key");
  auto pending = records::decode_pending(*rec->as_string(), p_owner);
  if (!pending) co_return http::error_response(400, "bad record", pending.error().message());

  std::vector<rrset> sets{{p_owner, rr_type::txt, _o.ttl, {}}, {n_owner, rr_type::txt, _o.ttl, {}}};
  bool admitted = false;
  const std::string text = *rec->as_string();
  const auto scouts = m->scouts;
  const std::vector<crypto::secret_key> ring = api::ring();
  provider::provider::edit_fn fn = [&, text](const std::vector<rrset>& current) {
    admitted = false;
    auto next = current;
    for (auto& t : values_of(current, n_owner))
      if (auto node = records::decode_node(t, n_owner, scouts, ring); node && node->pk == *pk) admitted = true;
    if (admitted) return current;
    auto& values = next[0].values;
    std::erase_if(values, [&](const std::string& t) {
      auto old = records::decode_pending(t, p_owner);
      return !old || old->pk == *pk;  // the node's older registration, or garbage
    });
    values.push_back(text);
    return next;
  };
  auto w = co_await _p.edit(std::move(sets), std::move(fn), &why);
  ++_c.provider_edits;
  if (!w) co_return provider_failure(w.error(), why);
  ++_c.registrations;
  json::writer out;
  out.begin_object().key("id").string(crypto::id10(*pk)).key("status").string(admitted ? "approved" : "pending");
  out.end_object();
  co_return json_ok(admitted ? 200 : 202, out.take());
}

rt::task<http::response> api::pending(const http::request& req) {
  ++_c.requests;
  if (!is_operator(req)) co_return http::error_response(401, "unauthenticated", "operator token required");
  std::string why;
  auto m = co_await meta(&why);
  if (!m) co_return provider_failure(m.error(), why);
  std::vector<records::pending_record> found;
  for (auto& s : records::all_shards(m->shards)) {
    auto texts = co_await _p.get(_n.pending_shard(s), rr_type::txt, &why);
    if (!texts) co_return provider_failure(texts.error(), why);
    for (auto& t : *texts)
      if (auto p = records::decode_pending(t, _n.pending_shard(s))) found.push_back(std::move(*p));
  }
  json::writer w;
  w.begin_array();
  for (auto& p : found) {
    w.begin_object().key("id").string(crypto::id10(p.pk)).key("pk").string(crypto::base64url(p.pk));
    w.key("host").string(p.host);
    write_endpoints(w, p.endpoints);
    w.key("ts").number(p.ts).end_object();
  }
  w.end_array();
  co_return json_ok(200, w.take());
}

rt::task<http::response> api::approve(const http::request& req, std::string id) {
  ++_c.requests;
  if (!is_operator(req)) co_return http::error_response(401, "unauthenticated", "operator token required");
  if (!id10_ok(id)) co_return http::error_response(400, "bad request", "a node id is 10 lower-case hex digits");
  auto g = co_await _writes.lock();  // not in the middle of a rotation
  if (!g) co_return http::error_response(503, "unavailable", "shutting down");
  if (auto busy = co_await settle_rotation()) co_return std::move(*busy);
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
  std::string why;
  auto m = co_await meta(&why);
  if (!m) co_return provider_failure(m.error(), why);
  const auto shard = id.substr(0, m->shards == 256 ? 2 : 1);
  const auto p_owner = _n.pending_shard(shard), n_owner = _n.node_shard(shard), k_owner = _n.key(id);
  std::vector<rrset> sets{{p_owner, rr_type::txt, _o.ttl, {}}, {k_owner, rr_type::txt, _o.ttl, {}}};
  for (auto& s : records::all_shards(m->shards)) sets.push_back({_n.node_shard(s), rr_type::txt, _o.ttl, {}});

  enum class outcome { approved, not_pending, already, full, bad_key } result = outcome::approved;
  std::string ip;
  const auto meta_now = *m;
  const std::vector<crypto::secret_key> ring = api::ring();
  provider::provider::edit_fn fn = [&](const std::vector<rrset>& current) {
    result = outcome::approved;
    std::optional<records::pending_record> p;
    std::string p_text;
    for (auto& t : values_of(current, p_owner))
      if (auto x = records::decode_pending(t, p_owner); x && crypto::id10(x->pk) == id) {
        p = std::move(*x);
        p_text = t;
      }
    std::set<std::string> taken;
    for (auto& s : current) {
      if (!s.name.starts_with("_n.")) continue;
      for (auto& t : s.values)
        if (auto node = records::decode_node(t, s.name, meta_now.scouts, ring, records::signer_rule::scouts)) {
          taken.insert(node->ip);
          if (crypto::id10(node->pk) == id) result = outcome::already;
        }
    }
    if (result == outcome::already) return current;
    if (!p) {
      result = outcome::not_pending;
      return current;
    }
    auto addr = records::overlay_ip(p->pk, meta_now.subnet, [&](std::string_view a) { return taken.count(std::string(a)) > 0; });
    if (!addr) {
      result = outcome::full;
      return current;
    }
    ip = *addr;
    const auto ts = now_ms();
    records::node_record node{p->pk, role, ip, p->endpoints, ts};
    auto k = records::encode_key(_key.kv, _key.key, p->pk, ts, k_owner, _scout);
    if (!k) {
      result = outcome::bad_key;
      return current;
    }
    auto next = current;
    for (auto& s : next) {
      if (s.name == p_owner) std::erase(s.values, p_text);
      if (s.name == k_owner) s.values = {*k};
      if (s.name == n_owner) {
        auto set = split_set(s.values, records::set_kind::nodes, n_owner, meta_now.scouts);
        set.members.push_back(records::encode(node, n_owner, _key.key, _scout));
        s.values = rebuild_set(records::set_kind::nodes, n_owner, std::move(set.members), set.header, ts, _scout);
      }
    }
    return next;
  };
  auto w = co_await _p.edit(std::move(sets), std::move(fn), &why);
  ++_c.provider_edits;
  if (!w) co_return provider_failure(w.error(), why);
  switch (result) {
    case outcome::not_pending: co_return http::error_response(404, "not found", "no pending registration for " + id);
    case outcome::already: co_return http::error_response(409, "conflict", id + " is already a member");
    case outcome::full: co_return http::error_response(409, "conflict", "no free address left in " + meta_now.subnet);
    case outcome::bad_key: co_return http::error_response(400, "bad request", "the node's key has no X25519 form");
    case outcome::approved: break;
  }
  ++_c.approvals;
  _members_read_ms = 0;
  _keys_out.insert(id);
  json::writer out;
  out.begin_object().key("id").string(id).key("ip").string(ip).key("role").string(role).end_object();
  co_return json_ok(200, out.take());
}

rt::task<http::response> api::members(const http::request& req) {
  ++_c.requests;
  if (!is_operator(req)) co_return http::error_response(401, "unauthenticated", "operator token required");
  std::string why;
  auto m = co_await meta(&why);
  if (!m) co_return provider_failure(m.error(), why);
  const std::vector<crypto::secret_key> ring = api::ring();
  std::vector<records::node_record> nodes;
  for (auto& s : records::all_shards(m->shards)) {
    auto texts = co_await _p.get(_n.node_shard(s), rr_type::txt, &why);
    if (!texts) co_return provider_failure(texts.error(), why);
    for (auto& t : *texts)
      if (!records::is_set_header(t))
        if (auto node = records::decode_node(t, _n.node_shard(s), m->scouts, ring)) nodes.push_back(std::move(*node));
  }
  json::writer w;
  w.begin_array();
  for (auto& node : nodes) {
    w.begin_object().key("id").string(crypto::id10(node.pk)).key("pk").string(crypto::base64url(node.pk));
    w.key("role").string(node.role).key("ip").string(node.ip);
    write_endpoints(w, node.endpoints);
    w.end_object();
  }
  w.end_array();
  co_return json_ok(200, w.take());
}

rt::task<http::response> api::node(const http::request& req, std::string id) {
  ++_c.requests;
  if (!id10_ok(id)) co_return http::error_response(400, "bad request", "a node id is 10 lower-case hex digits");
  // An operator may ask about anyone; a node about itself (how a pending node learns it was
  // approved before it reads its _k).
  if (!auth::operator_token_ok(req.header_value("authorization"), _o.operator_token)) {
    auto pk = _verifier.verify(req, now());
    if (!pk) {
      ++_c.auth_failures;
      co_return http::error_response(401, "unauthenticated", pk.error().message());
    }
    if (crypto::id10(*pk) != id) co_return http::error_response(403, "forbidden", "a node may ask about itself only");
  }
  std::string why;
  auto m = co_await meta(&why);
  if (!m) co_return provider_failure(m.error(), why);
  const auto shard = id.substr(0, m->shards == 256 ? 2 : 1);
  const std::vector<crypto::secret_key> ring = api::ring();
  json::writer w;
  auto n_texts = co_await _p.get(_n.node_shard(shard), rr_type::txt, &why);
  if (!n_texts) co_return provider_failure(n_texts.error(), why);
  for (auto& t : *n_texts)
    if (auto node = records::decode_node(t, _n.node_shard(shard), m->scouts, ring); node && crypto::id10(node->pk) == id) {
      w.begin_object().key("id").string(id).key("status").string("approved").key("role").string(node->role);
      w.key("ip").string(node->ip).key("kv").number(static_cast<std::int64_t>(_key.kv)).end_object();
      co_return json_ok(200, w.take());
    }
  auto p_texts = co_await _p.get(_n.pending_shard(shard), rr_type::txt, &why);
  if (!p_texts) co_return provider_failure(p_texts.error(), why);
  for (auto& t : *p_texts)
    if (auto p = records::decode_pending(t, _n.pending_shard(shard)); p && crypto::id10(p->pk) == id) {
      w.begin_object().key("id").string(id).key("status").string("pending").end_object();
      co_return json_ok(200, w.take());
    }
  co_return http::error_response(404, "not found", "no node " + id);
}

http::response api::healthz() const {
  // Not ready while a failed rotation waits to be finished: a load balancer sends operators
  // elsewhere. (A rotation merely in progress is normal work.)
  if (_pending && _rotation_failed) return json_ok(503, "{\"status\":\"rotation unfinished\"}");
  return json_ok(200, "{\"status\":\"ok\"}");
}

rt::task<http::response> api::status(const http::request& req) {
  ++_c.requests;
  if (!is_operator(req)) co_return http::error_response(401, "unauthenticated", "operator token required");
  const auto t = now();
  std::string why;
  auto ids = co_await member_ids(t, &why);  // cached: at most one read per 5 minutes
  if (!ids) co_return provider_failure(ids.error(), why);
  std::size_t heard = 0;
  for (auto& id : *ids)
    if (auto seen = _last_seen.find(id); seen != _last_seen.end() && t - seen->second < 120'000) ++heard;
  json::writer w;
  w.begin_object().key("domain").string(_n.domain()).key("scout").string(_scout.id10());
  w.key("provider").string(_p.kind()).key("kv").number(static_cast<std::int64_t>(_key.kv));
  std::string rotation = "none";
  if (_pending) rotation = (_rotation_failed ? "failed, to be finished: removing " : "removing ") + _pending->id;
  w.key("rotation").string(rotation);
  w.key("members").number(static_cast<std::int64_t>(ids->size()));
  w.key("heard_recently").number(static_cast<std::int64_t>(heard));  // a heartbeat in the last 2 minutes
  w.key("down").begin_array();
  for (auto& id : _last_down) w.string(id);
  w.end_array();
  w.key("watchers").number(static_cast<std::int64_t>(_watch.watchers()));
  w.key("uptime_s").number((t - _started_ms) / 1000).end_object();
  co_return json_ok(200, w.take());
}

http::response api::metrics() const {
  std::string out;
  auto counter = [&](const char* name, const char* help, std::uint64_t v) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " +
           std::to_string(v) + "\n";
  };
  counter("brood_api_requests_total", "API requests handled.", _c.requests);
  counter("brood_api_registrations_total", "Registrations written.", _c.registrations);
  counter("brood_api_approvals_total", "Nodes approved.", _c.approvals);
  counter("brood_api_removals_total", "Nodes removed (each a key rotation).", _c.removals);
  counter("brood_api_heartbeats_total", "Heartbeats received.", _c.heartbeats);
  counter("brood_api_endpoint_updates_total", "Node endpoints rewritten after a heartbeat reported new ones.",
          _c.endpoint_updates);
  counter("brood_api_liveness_writes_total", "Liveness records written.", _c.liveness_writes);
  counter("brood_api_vlan_changes_total", "Vlans and memberships changed.", _c.vlan_changes);
  counter("brood_api_provider_edits_total", "Edits sent to the DNS provider.", _c.provider_edits);
  counter("brood_api_provider_failures_total", "Requests that failed at the DNS provider.", _c.provider_failures);
  counter("brood_api_auth_failures_total", "Requests refused for authentication.", _c.auth_failures);
  counter("brood_api_rate_limited_total", "Requests refused with 429.", _c.rate_limited);
  counter("brood_api_watch_writes_total", "Provider writes pushed to watchers.", _watch.stats().writes_published);
  counter("brood_api_watch_overflows_total", "Watch streams ended for falling behind.", _watch.stats().overflows);
  out += "# HELP brood_api_watchers Open GET /watch streams.\n# TYPE brood_api_watchers gauge\nbrood_api_watchers " +
         std::to_string(_watch.watchers()) + "\n";
  http::response r;
  r.status = 200;
  r.headers.push_back({"content-type", "text/plain; version=0.0.4"});
  r.body = std::move(out);
  return r;
}

}  // namespace brood::api
