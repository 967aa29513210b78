// agent: the DNS sync, /watch, heartbeats, netlink events and the reconciler, as tasks of one
// scope on the reactor; status.json after every reconcile.
#include <brood/agent/agent.hpp>

#include <brood/json/value.hpp>
#include <brood/json/writer.hpp>
#include <brood/netlink/rtnl.hpp>
#include <brood/records/fields.hpp>
#include <brood/records/view_reader.hpp>
#include <brood/records/view_update.hpp>
#include <brood/rt/file.hpp>
#include <brood/rt/residency.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/wall_clock.hpp>
#include <brood/rt/with_timeout.hpp>
#include <brood/tls/tls_context.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace brood::agent {

namespace {
wg::key private_key_of(const crypto::identity& id) {
  wg::key k{};
  auto raw = crypto::from_base64(id.wireguard_private_base64());
  if (raw && raw->size() == k.size()) std::copy(raw->begin(), raw->end(), k.begin());
  return k;
}
/// How often the reconciler re-checks the device with nothing else to wake it: a peer removed
/// by hand raises no netlink event, so this is how it comes back (within half a second).
constexpr auto device_check = std::chrono::milliseconds(500);
}  // namespace

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

rt::task<void> agent::sync_once() {
  // One read at a time: the sync loop, a heartbeat's newer kv and a watch overflow all ask.
  auto g = co_await _sync_lock.lock();
  if (!g) co_return;
  ++_syncs;
  _last_sync_ms = rt::unix_ms();
  records::read_options o;
  o.timeout = std::chrono::milliseconds(std::min<std::int64_t>(5000, _c.sync_interval.count()));
  auto report = co_await records::read_view(*_doh, _n, _id.pk(), _trust, _view, o);
  // Queries that timed out or lost their connection: the path to the DoH server may be dead
  // (this node's address changed) and TCP would take minutes to say so. Connect afresh.
  const bool broken = std::any_of(report.problems.begin(), report.problems.end(), [](const records::problem& p) {
    return p.reason == std::errc::timed_out || p.reason == std::errc::connection_reset ||
           p.reason == std::errc::connection_aborted || p.reason == std::errc::broken_pipe;
  });
  if (broken) _doh->reset();
  // A record none of our keys opens, or a newer kv: a rotation is under way.
  const bool unreadable = std::any_of(report.problems.begin(), report.problems.end(), [](const records::problem& p) {
    return p.reason == records::error::cannot_decrypt;
  });
  const bool newer_kv = _view.meta && _view.meta->kv > _state.kv();
  if (newer_kv || unreadable) {
    const bool picked = co_await pick_up_key();
    if (picked) {
      // Ask again only for the sets the old keys could not open, and fold them with the new one.
      std::vector<std::string> owners;
      for (auto& p : report.problems)
        if (p.reason == records::error::cannot_decrypt && std::find(owners.begin(), owners.end(), p.owner) == owners.end())
          owners.push_back(p.owner);
      if (owners.empty()) {
        report = co_await records::read_view(*_doh, _n, _id.pk(), _trust, _view, o);
      } else {
        std::erase_if(report.problems, [&](const records::problem& p) {
          return std::find(owners.begin(), owners.end(), p.owner) != owners.end();
        });
        auto again = co_await refold(std::move(owners), o.timeout);
        report.problems.insert(report.problems.end(), again.begin(), again.end());
      }
    }
  }
  // The liveness record is written by the scouts only when something changes; its absence is
  // not a failure of this sync. Texts left out of an answer that was otherwise used (a forged
  // record beside the real ones) are not either: that part of the view is up to date.
  std::size_t failures = 0;
  for (auto& p : report.problems)
    if (p.owner != _n.liveness() && !p.ignored) ++failures;
  if (failures == 0 && _view.meta) {
    _last_sync_ok_ms = rt::unix_ms();
    // A scout's agent (key from BROOD_KEY_FILE) pins the scouts at its first good read.
    if (_state.scouts.empty()) {
      _state.scouts = _view.meta->scouts;
      _trust.scouts = _state.scouts;
      co_await save();
    }
    // Past a rotation: the old key is no longer needed once _meta's kv is ours.
    if (_state.keys.size() > 1 && _view.meta->kv == _state.kv()) {
      _state.keys.resize(1);
      _trust.keys = _state.ring();
      co_await save();
    }
  } else {
    ++_sync_failures;
    for (auto& p : report.problems)
      if (p.owner != _n.liveness() && !p.ignored) note("sync: " + p.owner + ": " + p.reason.message());
  }
  note_key_lag();
  _status_dirty = true;  // its outcome shows in status
  if (_state.scouts != _trust.scouts && !_trust.scouts.empty()) {  // a signed change of scouts
    _state.scouts = _trust.scouts;
    co_await save();
  }
  co_await keep_memory();
}

void agent::note_key_lag() {
  const bool behind = _view.meta && _view.meta->kv > _state.kv();
  if (!behind) {
    _behind_since_ms = 0;
    return;
  }
  if (_behind_since_ms != 0) return;
  _behind_since_ms = rt::unix_ms();
  note("behind on the brood key: _meta says kv " + std::to_string(_view.meta->kv) + ", this node holds kv " +
       std::to_string(_state.kv()) + " and cannot read its _k yet; members are still followed (a removed node " +
       "leaves), endpoints that changed since are not");
}

rt::task<void> agent::keep_memory() {
  if (_trust.generation() == _memory_saved) co_return;
  _memory_saved = _trust.generation();
  _state.replay = _trust.memory();
  co_await save();
}

bool agent::mesh_known() const {
  if (!_view.meta) return false;
  for (auto& s : records::all_shards(_view.meta->shards))
    if (!_view.node_shards.count(s)) return false;
  return true;
}

namespace {
rt::task<void> fetch_txt(dns::doh_client* doh, std::string owner, std::chrono::milliseconds timeout,
                         rt::result<std::vector<dns::txt_record>>* out) {
  const rt::io_options io{rt::clock::now() + timeout};
  *out = co_await doh->txt(std::move(owner), io);
}
}  // namespace

rt::task<std::vector<records::problem>> agent::refold(std::vector<std::string> owners,
                                                      std::chrono::milliseconds timeout) {
  std::vector<rt::result<std::vector<dns::txt_record>>> answers(owners.size(), std::errc::io_error);
  {
    const rt::cancel_token parent = co_await rt::current_token();
    rt::task_scope scope(parent);
    for (std::size_t i = 0; i < owners.size(); ++i) scope.spawn(fetch_txt(_doh.get(), owners[i], timeout, &answers[i]));
    co_await scope.join();
  }
  std::vector<records::problem> problems;
  std::vector<records::pushed_set> sets;
  for (std::size_t i = 0; i < owners.size(); ++i) {
    if (!answers[i]) {
      problems.push_back({owners[i], answers[i].error()});
      continue;
    }
    records::pushed_set set{owners[i], {}};
    for (auto& t : *answers[i]) set.values.push_back(t.text());
    sets.push_back(std::move(set));
  }
  const auto self = _id.pk();
  (void)records::apply_pushed(_view, _trust, _n, &self, std::move(sets), problems, rt::unix_ms());
  co_return problems;
}

rt::task<void> agent::sync_loop() {
  rt::periodic tick(_c.sync_interval);
  for (;;) {
    co_await sync_once();
    kick();
    auto t = co_await tick.next();
    if (!t) co_return;
  }
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
    co_await send_heartbeat();
    const auto every = std::chrono::seconds(_view.meta ? std::max<std::uint32_t>(1, _view.meta->keepalive) : 30);
    auto slept = co_await rt::sleep_for(every);
    if (!slept) co_return;
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

rt::task<void> agent::watch_loop() {
  for (int attempt = 0;; ++attempt) {
    _watch_state = "connecting";
    auto s = co_await _api->watch();
    if (!s) {
      _watch_state = "down: " + s.error().message();
      // Back soon after a scout restart: 250 ms doubling to 4 s.
      auto slept = co_await rt::sleep_for(std::chrono::milliseconds(std::min(4'000, 250 << std::min(attempt, 5))));
      if (!slept) co_return;
      continue;
    }
    attempt = 0;
    _watch_state = "connected to " + _api->current();
    std::string buffer;
    std::int64_t keepalive_s = 15;
    for (;;) {
      // Twice the scout's ping interval without a byte: the stream is dead.
      const rt::io_options io{rt::clock::now() + std::chrono::seconds(2 * keepalive_s + 5)};
      auto chunk = co_await (*s)->read(io);
      if (!chunk || chunk->empty()) {
        _watch_state = chunk ? "ended" : "lost: " + chunk.error().message();
        break;
      }
      buffer += *chunk;
      std::size_t nl;
      bool overflow = false;
      while ((nl = buffer.find('\n')) != std::string::npos) {
        const auto line = buffer.substr(0, nl);
        buffer.erase(0, nl + 1);
        auto j = json::parse(line);
        if (!j || !j->is_object()) continue;
        if (const auto* hello = j->find("hello")) {
          if (const auto* k = hello->find("keepalive"); k && k->as_int())
            keepalive_s = std::clamp<std::int64_t>(*k->as_int(), 1, 3600);
          continue;
        }
        if (j->find("overflow")) overflow = true;
        const auto* sets = j->find("sets");
        if (!sets || !sets->as_array()) continue;
        std::vector<records::pushed_set> pushed;
        for (auto& set : *sets->as_array()) {
          const auto* name = set.find("name");
          const auto* values = set.find("values");
          if (!name || !name->as_string() || !values || !values->as_array()) continue;
          records::pushed_set p{*name->as_string(), {}};
          for (auto& v : *values->as_array())
            if (v.as_string()) p.values.push_back(*v.as_string());
          pushed.push_back(std::move(p));
        }
        co_await fold_pushed(std::move(pushed));
      }
      if (overflow || buffer.size() > (1 << 20)) {  // (a line longer than 1 MiB: not ours)
        _watch_state = "overflow";
        co_await sync_once();  // what the stream could not carry, DNS has
        kick();
        break;
      }
    }
    s->reset();
    auto slept = co_await rt::sleep_for(std::chrono::milliseconds(500));
    if (!slept) co_return;
  }
}

rt::task<void> agent::fold_pushed(std::vector<records::pushed_set> sets) {
  // A rotation's first write carries this node's new _k: take the key from it at once.
  bool key_taken = false;
  for (auto& s : sets)
    if (s.owner == _n.key(_id.id10()) && !s.values.empty()) key_taken = adopt_keys(s.values);
  if (key_taken) co_await save();
  auto again = sets;
  std::vector<records::problem> problems;
  const auto self = _id.pk();
  auto folded = records::apply_pushed(_view, _trust, _n, &self, std::move(sets), problems, rt::unix_ms());
  const bool unreadable = std::any_of(problems.begin(), problems.end(), [](const records::problem& p) {
    return p.reason == records::error::cannot_decrypt;
  });
  const bool newer_kv = _view.meta && _view.meta->kv > _state.kv();
  if (unreadable || newer_kv) {
    const bool picked = co_await pick_up_key();
    if (picked) {
      problems.clear();
      folded = records::apply_pushed(_view, _trust, _n, &self, std::move(again), problems, rt::unix_ms());
    }
  }
  for (auto& p : problems)
    if (!p.ignored) note("watch: " + p.owner + ": " + p.reason.message());
  co_await keep_memory();
  if (folded > 0) {
    ++_pushes;
    _last_push_ms = rt::unix_ms();
    kick();
  }
}

rt::task<void> agent::link_loop() {
  auto w = netlink::link_watcher::open();
  if (!w) {
    note("netlink events: " + w.error().message());
    co_return;
  }
  for (;;) {
    auto events = co_await w->next();
    if (!events) {
      if (events.error() == std::errc::operation_canceled) co_return;
      _dp->link_changed();
      kick();  // events were lost: look at everything
      _endpoints_pending = true;
      _endpoints_wake.notify();
      continue;
    }
    for (auto& e : *events) {
      using what = netlink::link_watcher::event::what;
      if (e.name == _c.wg_interface || e.kind == what::addr_del || e.kind == what::link_del ||
          e.kind == what::addr_new) {
        _dp->link_changed();
        kick();
      }
      if (e.kind == what::addr_new || e.kind == what::addr_del) {
        _endpoints_pending = true;  // remembered if the endpoint task is busy probing
        _endpoints_wake.notify();
      }
    }
  }
}

rt::task<bool> agent::reconcile() {
  auto current = co_await _dp->device();
  if (!current) {
    note("WireGuard " + _c.wg_interface + ": " + current.error().message());
    co_return true;
  }
  plan_input in;
  in.view = &_view;
  in.self = _id.pk();
  in.private_key = private_key_of(_id);
  in.listen_port = _c.wg_port;
  in.now_ms = rt::unix_ms();
  in.current = &*current;
  in.announced_before = &_dp->announced();
  in.view_complete = mesh_known();
  const auto p = make_plan(in);
  if (p.liveness_refused != _liveness.refused && !p.liveness_refused.empty()) note("liveness: " + p.liveness_refused);
  if (p.excluded != _liveness.excluded || p.kept_alive != _liveness.kept_alive || p.liveness_refused != _liveness.refused)
    _status_dirty = true;
  _liveness = {p.excluded, p.kept_alive, p.duplicate_ip, p.liveness_refused};
  auto r = co_await _dp->apply(*current, p);
  if (!r) {
    note("apply: " + r.error().message());
    co_return true;
  }
  co_return *r;
}

rt::task<void> agent::reconcile_loop() {
  bool first = true;
  for (;;) {
    if (!_dirty) {
      auto woke = co_await rt::with_timeout(device_check, [this] { return _wake.wait(); });
      auto token = co_await rt::current_token();
      if (token.cancelled()) co_return;
      (void)woke;
    }
    _dirty = false;
    const bool changed = co_await reconcile();
    // After a change at once (operators and the convergence bench read it); otherwise every
    // 10 s, for the handshake ages and counters.
    if (changed || std::exchange(_status_dirty, false) || rt::unix_ms() - _status_written_ms >= 10'000)
      co_await write_status();
    // After start-up (enrolment, the first sync and apply), after an endpoint change, and then
    // every minute: let go of the library pages that were not needed since — start-up's, a TLS
    // reconnect's, a rotation's.
    // What the steady state runs faults back in from the page cache, a page at a time.
    if (std::exchange(first, false) || rt::unix_ms() - _shed_ms >= 60'000) {
      (void)rt::shed_file_pages();
      _shed_ms = rt::unix_ms();
    }
  }
}

rt::task<void> agent::write_status() {
  json::writer w;
  w.begin_object()
      .key("id").string(_id.id10())
      .key("pk").string(crypto::base64url(_id.pk()))
      .key("domain").string(_c.domain)
      .key("phase").string(_phase)
      .key("kv").number(static_cast<std::int64_t>(_state.kv()))
      .key("kv_since_ms").number(_kv_since_ms)
      .key("backend").string(_dp ? std::string(_dp->backend_kind()) : "")
      .key("interface").string(_c.wg_interface);
  const auto* self = _view.find_node(_id.pk());
  w.key("ip").string(self ? self->ip : "");
  w.key("endpoints").begin_array();
  for (auto& e : _endpoints) w.string(e);
  w.end_array().key("nat").string(_nat);
  w.key("last_sync_ms").number(_last_sync_ms).key("last_sync_ok_ms").number(_last_sync_ok_ms);
  w.key("syncs").number(static_cast<std::int64_t>(_syncs)).key("sync_failures").number(static_cast<std::int64_t>(_sync_failures));
  w.key("watch").string(_watch_state).key("pushes").number(static_cast<std::int64_t>(_pushes));
  w.key("last_push_ms").number(_last_push_ms).key("last_heartbeat_ok_ms").number(_last_heartbeat_ok_ms);
  w.key("scout").string(_api ? _api->current() : "");
  w.key("clock_skew_ms").number(_api ? _api->clock_skew_ms() : 0);
  w.key("kv_behind_since_ms").number(_behind_since_ms);
  auto ids = [&](const char* name, const std::vector<std::string>& list) {
    w.key(name).begin_array();
    for (auto& id : list) w.string(id);
    w.end_array();
  };
  ids("excluded", _liveness.excluded);
  ids("kept_alive", _liveness.kept_alive);
  ids("duplicate_ip", _liveness.duplicate_ip);
  w.key("liveness_refused").string(_liveness.refused);
  w.key("changes").number(static_cast<std::int64_t>(_dp ? _dp->changes() : 0));
  w.key("interface_restores").number(static_cast<std::int64_t>(_dp ? _dp->interface_restores() : 0));
  w.key("peers").begin_array();
  if (_dp)
    for (auto& [id, p] : _dp->peers())
      w.begin_object()
          .key("id").string(id)
          .key("ip").string(p.ip)
          .key("endpoint").string(p.endpoint)
          .key("since_ms").number(p.since_ms)
          .key("endpoint_since_ms").number(p.endpoint_since_ms)
          .key("last_handshake_ms").number(p.last_handshake_ms)
          .key("rx_bytes").number(static_cast<std::int64_t>(p.rx_bytes))
          .key("tx_bytes").number(static_cast<std::int64_t>(p.tx_bytes))
          .end_object();
  w.end_array().key("removed").begin_array();
  if (_dp)
    for (auto& r : _dp->removed()) w.begin_object().key("id").string(r.id10).key("at_ms").number(r.at_ms).end_object();
  w.end_array().key("errors").begin_array();
  for (auto& e : _errors) w.string(e);
  w.end_array().key("written_ms").number(rt::unix_ms()).end_object();
  auto ok = co_await rt::write_file_atomic(_c.state_dir + "/status.json", w.take(), 0644, rt::durability::relaxed);
  if (ok) _status_written_ms = rt::unix_ms();
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
  _dp = std::make_unique<data_plane>(_c, co_await wg::detect(bo));

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
