// agent: the tasks of one scope on the reactor and their wiring — start-up, enrolment, then the
// sync and /watch (agent_sync.cpp), the reconciler and netlink events (agent_reconcile.cpp),
// FRR (agent_routing.cpp), heartbeats and the node's own endpoints (here); status.json
// (agent_status.cpp).
#include <brood/agent/agent.hpp>

#include <brood/json/value.hpp>
#include <brood/json/writer.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/wall_clock.hpp>
#include <brood/rt/with_timeout.hpp>
#include <brood/tls/tls_context.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace brood::agent {

agent::agent(config c, const crypto::identity& id) : _c(std::move(c)), _id(id), _n(_c.domain) {
  _trust.accept_sealed = true;  // membership still followed while behind on the key (SPEC §5.6)
}
agent::~agent() = default;

void agent::kick() noexcept {
  _dirty = true;
  _wake.notify();
}

void agent::note(std::string problem) {
  std::fprintf(stderr, "brood-agent: %s\n", problem.c_str());
  _errors.push_back(std::to_string(rt::unix_ms()) + " " + std::move(problem));
  if (_errors.size() > 8) _errors.erase(_errors.begin());
}

rt::task<void> agent::save() {
  auto g = co_await _save_lock.lock();
  if (!g) co_return;
  auto saved = co_await save_state(_c.state_dir, _state);
  if (!saved) note("agent.json: " + saved.error().message());
}

rt::task<void> agent::keep_memory() {
  if (_trust.generation() == _memory_saved) co_return;
  _memory_saved = _trust.generation();
  _state.replay = _trust.memory();
  co_await save();
}

rt::task<void> agent::send_heartbeat() {
  json::writer w;
  w.begin_object().key("kv").number(static_cast<std::int64_t>(_state.kv()));
  if (!_endpoints.empty()) {  // none known (STUN failed): say nothing rather than "none"
    w.key("endpoints").begin_array();
    for (auto& e : _endpoints) w.string(e);
    w.end_array();
  }
  w.end_object();
  auto body = w.take();
  auto r = co_await _api->send("POST", "/heartbeat", std::move(body));
  if (!r || r->status != 200) {
    if (const auto skew = _api->clock_skew_ms(); r && r->status == 401 && skew != 0)
      note("the scouts refuse this node's signed requests for clock skew: this host's clock is " +
           std::to_string(std::abs(skew) / 1000) + " s " + (skew > 0 ? "ahead of" : "behind") +
           " the scout's (±60 s allowed); set this host's time (NTP)");
    else
      note("heartbeat: " + (r ? std::to_string(r->status) + " " + r->body : r.error().message()));
    co_return;
  }
  _last_heartbeat_ok_ms = rt::unix_ms();
  auto j = json::parse(r->body);
  const auto* kv = j ? j->find("kv") : nullptr;
  auto v = kv ? kv->as_int() : rt::result<std::int64_t>(std::errc::invalid_argument);
  if (!v || static_cast<std::uint64_t>(*v) <= _state.kv()) co_return;
  const bool picked = co_await pick_up_key();
  if (!picked) co_return;
  co_await sync_once();
  kick();
}

rt::task<void> agent::heartbeat_loop() {
  for (;;) {
    // A removed node has nothing to tell the scouts but that it would like to come back: its
    // registration, every 10 minutes instead of a heartbeat every keepalive.
    const bool removed = _removed_since_ms != 0;
    if (removed)
      co_await register_again();
    else
      co_await send_heartbeat();
    const auto keepalive = std::chrono::seconds(_view.meta ? std::max<std::uint32_t>(1, _view.meta->keepalive) : 30);
    const auto every = removed ? std::chrono::seconds(600) : keepalive;
    // A removal (or a new approval) noticed meanwhile ends the wait at the next keepalive: the
    // registration (or the heartbeat) goes out then, not 10 minutes late.
    for (auto waited = std::chrono::seconds(0); waited < every;) {
      const auto step = std::min<std::chrono::seconds>(keepalive, every - waited);
      auto slept = co_await rt::sleep_for(step);
      if (!slept) co_return;
      waited += step;
      if (removed != (_removed_since_ms != 0)) break;  // removed, or approved again, meanwhile
    }
  }
}

rt::task<void> agent::endpoint_loop() {
  if (!_c.endpoints.empty()) co_return;  // announced as configured, never discovered
  for (;;) {
    // Every 5 minutes; every 10 s while STUN has found nothing; at once after an address event.
    if (!std::exchange(_endpoints_pending, false)) {
      const auto wait = _endpoints.empty() ? std::chrono::seconds(10) : std::chrono::seconds(300);
      (void)co_await rt::with_timeout(wait, [this] { return _endpoints_wake.wait(); });
      _endpoints_pending = false;
    }
    // A renumbering is several netlink events (address removed, added, route): let them settle.
    auto settled = co_await rt::sleep_for(std::chrono::milliseconds(200));
    if (!settled) co_return;
    auto found = co_await discover_endpoints();
    // A family STUN could not reach this time keeps what it had: a failed probe is no news.
    for (auto& old : _endpoints) {
      auto a = net::socket_address::parse(old);
      const bool family_found = a && std::any_of(found.begin(), found.end(), [&](const std::string& f) {
        auto b = net::socket_address::parse(f);
        return b && b->family() == a->family();
      });
      if (a && !family_found) found.push_back(old);
    }
    if (found.empty() || found == _endpoints) continue;
    std::fprintf(stderr, "brood-agent: endpoints now %s\n", found.front().c_str());
    _endpoints = std::move(found);
    // The connections left from an old address are dead.
    _api->reset();
    _doh->reset();
    co_await send_heartbeat();  // the scout rewrites this node's _n (at most every 5 minutes)
    _shed_ms = 0;  // a burst of one-off work (STUN, new TLS connections): shed its pages next
  }
}

rt::task<int> agent::run() {
  dns::doh_options dopts;
  dopts.url = _c.doh_url;
  tls::client_options tco;
  tco.ca_file = _c.ca_file;
  auto ctx = tls::context::client(tco);
  if (!ctx) {
    std::fprintf(stderr, "brood-agent: TLS trust (BROOD_CA_FILE %s): %s\n", _c.ca_file.c_str(),
                 ctx.error().message().c_str());
    co_return 1;
  }
  dopts.tls = *ctx;
  auto doh = dns::doh_client::make(dopts);
  if (!doh) {
    std::fprintf(stderr, "brood-agent: BROOD_DOH %s: %s\n", _c.doh_url.c_str(), doh.error().message().c_str());
    co_return 1;
  }
  _doh = std::move(*doh);
  _api = std::make_unique<api_client>(_c, _id, *_doh, *ctx);
  auto st = co_await load_state(_c.state_dir);
  if (!st) {
    std::fprintf(stderr, "brood-agent: %s/agent.json: %s\n", _c.state_dir.c_str(), st.error().message().c_str());
    co_return 1;
  }
  _state = std::move(*st);
  wg::backend_options bo{_c.wg_interface, _c.uapi_dir, std::chrono::milliseconds(2000)};
  auto backend = co_await wg::detect(bo);
  _mesh = std::make_unique<mesh>(_c, std::move(backend));
  if (_c.frr) {
    frr::reload_options fo;
    fo.run_dir = _c.frr_run_dir;
    fo.pathspace = _c.frr_pathspace;
    fo.work_dir = _c.state_dir;
    fo.program = _c.frr_reload;
    _frr = std::make_unique<frr::reloader>(std::move(fo));
  }

  int status = 0;
  const bool enrolled = co_await enrol();
  if (enrolled) {
    _phase = "running";
    const rt::cancel_token parent = co_await rt::current_token();
    rt::task_scope scope(parent);
    scope.spawn(reconcile_loop());
    scope.spawn(sync_loop());
    scope.spawn(heartbeat_loop());
    scope.spawn(link_loop());
    scope.spawn(endpoint_loop());
    scope.spawn(routing_loop());
    if (_c.watch) scope.spawn(watch_loop());
    co_await scope.join();
  }
  // Stopping: the tail runs under a token of its own (ours is cancelled), bounded in time.
  _phase = "stopped";
  auto tail = [](agent* self) -> rt::task<void> {
    co_await self->write_status();
    co_await self->_api->close();
    co_await self->_doh->close();
  };
  auto bounded = rt::with_timeout(std::chrono::seconds(2), tail(this));
  (void)co_await std::move(bounded).with_token(rt::cancel_token{});
  co_return status;
}

}  // namespace brood::agent
