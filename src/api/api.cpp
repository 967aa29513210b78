// brood-api: the routes, the checks every request shares, start-up and the background work
// (the scheduled full read, liveness, a failed rotation retried, scout.json), health, status
// and metrics.
#include <brood/api/api.hpp>
#include <brood/crypto/box.hpp>
#include <brood/json/writer.hpp>
#include <brood/rt/file.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/wall_clock.hpp>

#include "handler_util.hpp"

#include <cstdio>
#include <set>

namespace brood::api {

using provider::rr_type;
using provider::rrset;

std::string random_proc() {
  const auto k = crypto::random_secret_key();
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) out += {hex[k[i] >> 4], hex[k[i] & 15]};
  return out;
}

api::api(api_options o, provider::provider& p, const crypto::identity& scout, brood_key key)
    : _o(std::move(o)),
      _n(_o.domain),
      _watch(_o.watch),
      _sv(_n, scout),
      _wp(p, [this](const std::vector<rrset>& written) { wrote(written); }),
      _p(_wp),
      _scout(scout),
      _key(key),
      _proc(random_proc()),
      _liveness_proc(_proc),
      _verifier(_n.domain(), _o.skew),
      _started_ms(now()),
      _limit(_o.requests),
      _register_limit(_o.registrations),
      _register_writes(_o.registration_writes, 1) {
  use_keys();
}

api::~api() { unlock_rotation(); }

void api::wrote(const std::vector<rrset>& sets) {
  (void)_sv.fold(sets, now());
  // Pushed to watchers: what nodes read (registrations and the lease are the scouts' own).
  std::vector<rrset> read_by_nodes;
  for (auto& s : sets) {
    const auto k = _n.classify(s.name).kind;
    if (k != records::names::owner_kind::pending_shard && k != records::names::owner_kind::other)
      read_by_nodes.push_back(s);
  }
  _watch.publish(read_by_nodes);
}

std::int64_t api::now() const { return _o.clock ? _o.clock() : rt::unix_ms(); }

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
  auto id = [](const http::route_params& p, const char* k) { return std::string(p.get(k)); };
  route("POST", "/register", [this](const http::request& q, const http::route_params&) { return do_register(q); });
  route("GET", "/pending", [this](const http::request& q, const http::route_params&) { return pending(q); });
  route("POST", "/approve/{id}", [this, id](const http::request& q, const http::route_params& p) { return approve(q, id(p, "id")); });
  route("DELETE", "/pending/{id}", [this, id](const http::request& q, const http::route_params& p) {
    return reject(q, id(p, "id"));
  });
  route("GET", "/members", [this](const http::request& q, const http::route_params&) { return members(q); });
  route("GET", "/nodes/{id}", [this, id](const http::request& q, const http::route_params& p) { return node(q, id(p, "id")); });
  route("POST", "/heartbeat", [this](const http::request& q, const http::route_params&) { return heartbeat(q); });
  route("GET", "/watch", [this](const http::request& q, const http::route_params&) { return watch(q); });
  route("DELETE", "/nodes/{id}", [this, id](const http::request& q, const http::route_params& p) {
    return remove_node(q, id(p, "id"));
  });
  route("POST", "/vlans", [this](const http::request& q, const http::route_params&) { return create_vlan(q); });
  route("GET", "/vlans", [this](const http::request& q, const http::route_params&) { return list_vlans(q); });
  route("DELETE", "/vlans/{vni}", [this, id](const http::request& q, const http::route_params& p) {
    return delete_vlan(q, id(p, "vni"));
  });
  route("POST", "/vlans/{vni}/members", [this, id](const http::request& q, const http::route_params& p) {
    return add_member(q, id(p, "vni"));
  });
  route("GET", "/vlans/{vni}/members", [this, id](const http::request& q, const http::route_params& p) {
    return list_members(q, id(p, "vni"));
  });
  route("DELETE", "/vlans/{vni}/members/{id}", [this, id](const http::request& q, const http::route_params& p) {
    return remove_member(q, id(p, "vni"), id(p, "id"));
  });
  route("POST", "/trails", [this](const http::request& q, const http::route_params&) { return create_trail(q); });
  route("GET", "/trails", [this](const http::request& q, const http::route_params&) { return list_trails(q); });
  route("DELETE", "/trails/{remote}", [this, id](const http::request& q, const http::route_params& p) {
    return delete_trail(q, id(p, "remote"));
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

rt::task<rt::result<void>> api::refresh(std::string* why) {
  // Two waves when the first reveals names not asked for yet (a new vlan, more shards).
  std::vector<std::string> junk;
  for (int wave = 0; wave < 2; ++wave) {
    const auto names = _sv.everything();
    auto sets = co_await _p.read(names, why);
    if (!sets) {
      _refresh_error = (why ? *why : std::string()) + " (" + sets.error().message() + ")";
      co_return sets.error();
    }
    auto problems = _sv.fold(*sets, now());
    bool behind = false;
    for (auto& p : problems) {
      behind = behind || p.reason == records::error::cannot_decrypt;
      if (!p.ignored && p.reason != records::error::incomplete) continue;
      ++_c.texts_dropped;
      if (std::find(junk.begin(), junk.end(), p.owner) == junk.end()) junk.push_back(p.owner);
    }
    if (behind || (_sv.view.meta && _sv.view.meta->kv > _key.kv)) (void)co_await catch_up_key();
    if (_sv.everything().size() == names.size()) break;
  }
  ++_c.refreshes;
  _last_refresh_ms = now();
  _refresh_error.clear();
  if (!_sv.ready()) _sv.mark_ready();
  if (!_sv.view.meta) {
    _refresh_error = "no _meta verifies under this scout's pins";
    if (why) *why = _refresh_error;
    co_return records::error::untrusted;
  }
  _junk = std::move(junk);
  // A node removed through another process hears no more from this one either.
  std::set<std::string> members;
  for (auto* node : _sv.view.nodes()) members.insert(crypto::base64url(node->pk));
  _watch.end_unless([&](const std::string& node) { return members.count(node) > 0; });
  co_return rt::result<void>{};
}

rt::task<void> api::repair(std::vector<std::string> owners) {
  // A set whose answer carried texts that do not verify (a token thief's garbage, a forgery) is
  // rewritten from the view, so that readers again find exactly what its header counts. At most
  // once a minute: someone adding garbage must not be able to spend the provider budget.
  const auto t = now();
  if (t - _last_repair_ms < 60'000) co_return;
  auto c = co_await begin(lease_use::try_once, "repair");
  if (std::holds_alternative<http::response>(c)) co_return;
  _last_repair_ms = t;
  auto& ch = std::get<change>(c);
  std::vector<std::string> sets;
  for (auto& o : owners) {
    const auto k = _n.classify(o).kind;
    if (k == records::names::owner_kind::node_shard || k == records::names::owner_kind::member_shard ||
        k == records::names::owner_kind::vlans || k == records::names::owner_kind::trails)
      sets.push_back(o);
    if (sets.size() >= 4) break;
  }
  if (sets.empty()) co_return;
  auto fail = co_await commit(ch, sets, [&](const std::vector<rrset>& current) {
    auto next = current;
    for (auto& s : next) {
      auto base = base_of(s.name, current);
      if (!base) continue;
      auto kind = _n.classify(s.name).kind;
      const auto set_kind = kind == records::names::owner_kind::node_shard     ? records::set_kind::nodes
                            : kind == records::names::owner_kind::member_shard ? records::set_kind::members
                            : kind == records::names::owner_kind::vlans        ? records::set_kind::vlans
                                                                               : records::set_kind::trails;
      auto want = base->first;
      std::vector<std::string> have;
      for (auto& v : s.values)
        if (!records::is_set_header(v)) have.push_back(v);
      std::sort(want.begin(), want.end());
      std::sort(have.begin(), have.end());
      if (want == have) continue;  // nothing beside the set after all
      s.values = rebuilt(set_kind, s.name, base->first, base->second);
      ++_c.repairs;
    }
    return next;
  });
  if (fail) std::fprintf(stderr, "brood-api: repairing %s: %s\n", sets.front().c_str(), fail->body.c_str());
}

rt::task<rt::result<void>> api::start(std::string* why) {
  if (!_o.pins.empty()) _sv.trust.scouts = _o.pins;  // scout.json, if there is one, comes first
  if (auto l = co_await _sv.load(_o.state_dir); !l) {
    if (why) *why = _o.state_dir + "/scout.json: " + l.error().message();
    co_return l.error();
  }
  if (auto s = co_await _sv.save(_o.state_dir); !s) {
    if (why) *why = _o.state_dir + "/scout.json: " + s.error().message();
    co_return s.error();
  }
  auto r = co_await refresh(why);
  if (!r) co_return r.error();
  // A rotation a crash interrupted is finished before anything is served: serving with it half
  // done would hand out the old key.
  if (_o.state_dir.empty()) co_return rt::result<void>{};
  auto journal = co_await rt::read_file(_o.state_dir + "/rotation.journal");
  if (!journal) {
    if (journal.error() == std::errc::no_such_file_or_directory) co_return rt::result<void>{};
    if (why) *why = "rotation journal: " + journal.error().message();
    co_return journal.error();
  }
  auto g = co_await _writes.lock();
  if (!g) co_return g.error();
  co_return co_await recover_journal(*journal, why, false);
}

rt::task<void> api::run() {
  // One loop, woken every second: each job runs when its time has come.
  std::int64_t next_refresh = now() + _o.refresh.count(), next_liveness = 0;
  std::int64_t next_rotation_try = 0, rotation_backoff_ms = 1000;
  for (;;) {
    auto slept = co_await rt::sleep_for(std::chrono::seconds(1));
    if (!slept) co_return;  // cancelled
    const auto t = now();
    std::string why;
    if (t >= next_refresh) {
      next_refresh = t + _o.refresh.count();
      if (auto r = co_await refresh(&why); !r)
        std::fprintf(stderr, "brood-api: reading the brood: %s: %s\n", r.error().message().c_str(), why.c_str());
      if (!_junk.empty()) co_await repair(std::exchange(_junk, {}));
    }
    if (_rotation_failed && t >= next_rotation_try) {
      // Finish it without waiting for an operator's next change — backing off, since each try
      // seals every _k again: a provider that keeps failing must not have its budget spent.
      auto c = co_await begin(lease_use::wait, "rotate");  // settles it, or says why not
      if (auto* busy = std::get_if<http::response>(&c)) {
        std::fprintf(stderr, "brood-api: rotation still unfinished: %s\n", busy->body.c_str());
        rotation_backoff_ms = std::min<std::int64_t>(300'000, rotation_backoff_ms * 2);
      } else {
        co_await release(std::get<change>(c));
        rotation_backoff_ms = 1000;
      }
      next_rotation_try = t + rotation_backoff_ms;
    }
    const std::uint32_t keepalive = _sv.view.meta ? _sv.view.meta->keepalive : 30;
    if (t >= next_liveness) {
      next_liveness = t + static_cast<std::int64_t>(keepalive) * 1000;
      if (auto w = co_await write_liveness(t, &why); !w && !rt::is_cancelled(w.error()))
        std::fprintf(stderr, "brood-api: liveness: %s: %s\n", w.error().message().c_str(), why.c_str());
    }
    if (auto s = co_await _sv.save(_o.state_dir); !s && !rt::is_cancelled(s.error()))
      std::fprintf(stderr, "brood-api: %s/scout.json: %s\n", _o.state_dir.c_str(), s.error().message().c_str());
  }
}

http::response api::healthz() const {
  // Not ready while a failed rotation waits to be finished, before the brood was read, or while
  // behind on the key: a load balancer sends operators elsewhere. (A rotation merely in
  // progress is normal work.)
  if (_pending && _rotation_failed) return json_ok(503, "{\"status\":\"rotation unfinished\"}");
  if (!_sv.ready() || !_sv.view.meta) return json_ok(503, "{\"status\":\"brood not read yet\"}");
  if (_sv.view.meta->kv > _key.kv) return json_ok(503, "{\"status\":\"behind on the brood key\"}");
  return json_ok(200, "{\"status\":\"ok\"}");
}

rt::task<http::response> api::status(const http::request& req) {
  ++_c.requests;
  if (!is_operator(req)) co_return http::error_response(401, "unauthenticated", "operator token required");
  const auto t = now();
  std::size_t members = 0, heard = 0;
  for (auto* n : _sv.view.nodes()) {
    ++members;
    if (auto seen = _last_seen.find(n->pk); seen != _last_seen.end() && t - seen->second < 120'000) ++heard;
  }
  json::writer w;
  w.begin_object().key("domain").string(_n.domain()).key("scout").string(_scout.id10()).key("process").string(_proc);
  w.key("provider").string(_p.kind()).key("kv").number(static_cast<std::int64_t>(_key.kv));
  std::string rotation = _dropped_rotation.empty() ? "none" : _dropped_rotation;
  if (_pending) rotation = (_rotation_failed ? "failed, to be finished: removing " : "removing ") + _pending->id;
  w.key("rotation").string(rotation);
  w.key("members").number(static_cast<std::int64_t>(members));
  w.key("pending").number(static_cast<std::int64_t>(_sv.pending_count()));
  w.key("heard_recently").number(static_cast<std::int64_t>(heard));  // a heartbeat in the last 2 minutes
  w.key("down").begin_array();
  for (auto& id : _last_down) w.string(id);
  w.end_array();
  w.key("liveness").string(_liveness_note.empty() ? "ok" : _liveness_note);
  w.key("last_refresh_ms").number(_last_refresh_ms).key("refresh_error").string(_refresh_error);
  w.key("watchers").number(static_cast<std::int64_t>(_watch.watchers()));
  if (_o.status_extra) _o.status_extra(w);
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
  counter("brood_api_liveness_withheld_total",
          "Liveness records written with no down list because too many members were silent.", _c.liveness_withheld);
  counter("brood_api_vlan_changes_total", "Vlans and memberships changed.", _c.vlan_changes);
  counter("brood_api_provider_edits_total", "Provider edits that changed records.", _c.provider_edits);
  counter("brood_api_provider_failures_total", "Requests that failed at the DNS provider.", _c.provider_failures);
  counter("brood_api_auth_failures_total", "Requests refused for authentication.", _c.auth_failures);
  counter("brood_api_rate_limited_total", "Requests refused with 429.", _c.rate_limited);
  counter("brood_api_refreshes_total", "Full reads of the brood from the provider.", _c.refreshes);
  counter("brood_api_texts_dropped_total", "Texts left out because they did not verify.", _c.texts_dropped);
  counter("brood_api_repairs_total", "Sets rewritten to drop texts that did not verify.", _c.repairs);
  counter("brood_api_key_pickups_total", "Brood keys taken after another process rotated.", _c.key_pickups);
  counter("brood_api_lease_waits_total", "Times a change waited for another process's lease.", _c.lease_waits);
  counter("brood_api_watch_writes_total", "Provider writes pushed to watchers.", _watch.stats().writes_published);
  counter("brood_api_watch_overflows_total", "Watch streams ended for falling behind.", _watch.stats().overflows);
  out += "# HELP brood_api_watchers Open GET /watch streams.\n# TYPE brood_api_watchers gauge\nbrood_api_watchers " +
         std::to_string(_watch.watchers()) + "\n";
  if (_o.metrics_extra) _o.metrics_extra(out);
  http::response r;
  r.status = 200;
  r.headers.push_back({"content-type", "text/plain; version=0.0.4"});
  r.body = std::move(out);
  return r;
}

}  // namespace brood::api
