// agent, routing: the FRR configuration planned from the view and the mesh plan at every
// reconcile, and applied by a task of its own (frr-reload.py takes half a second, which the
// WireGuard reconciler must never wait for), when it changed or FRR restarted.
#include <brood/agent/agent.hpp>

#include <brood/agent/routing_plan.hpp>
#include <brood/frr/render.hpp>
#include <brood/frr/sessions.hpp>
#include <brood/rt/wall_clock.hpp>
#include <brood/rt/with_timeout.hpp>

namespace brood::agent {

namespace {
/// With nothing new planned, FRR's pid files are looked at this often: a restarted bgpd gets
/// its config back within it.
constexpr auto frr_check = std::chrono::seconds(2);
/// How often the sessions' state is asked of FRR for status.json (and after every apply).
constexpr std::int64_t sessions_every_ms = 10'000;
}  // namespace

void agent::plan_frr(const plan& mesh) {
  if (!_frr) return;
  // Fail static: FRR keeps what it runs until the view is whole — every _n shard (sessions) and,
  // on a reflector, every _m shard (each client's filter). A restart with DNS down, or a first
  // read that has not reached every shard yet, takes no session and no route away.
  if (!mesh_known()) return;
  if (reads_every_member_shard() && !every_member_shard_known()) return;
  auto c = plan_routing(_view, _id.pk(), mesh, _c.hostname);
  std::string text;
  if (c) {
    auto r = frr::render(*c);
    if (r) {
      text = std::move(*r);
    } else {  // a host name FRR could misread: leave FRR's own
      c->hostname.clear();
      auto again = frr::render(*c);
      if (again) text = std::move(*again);
      else note("frr: the planned configuration does not render; FRR keeps what it runs");
    }
  }
  if (text.empty() || text == _frr_text) return;  // nothing planned: FRR keeps what it runs
  _frr_config = std::move(*c);
  _frr_text = std::move(text);
  _frr_wake.notify();
}

rt::task<void> agent::routing_loop() {
  if (!_frr) co_return;
  for (;;) {
    auto wake = [this] { return _frr_wake.wait(); };
    auto woke = co_await rt::with_timeout(frr_check, wake);
    (void)woke;  // woken or not: the pid files are looked at either way
    auto token = co_await rt::current_token();
    if (token.cancelled()) co_return;
    if (_frr_text.empty()) continue;  // nothing planned yet (no ASN, not a member)
    frr::config c = _frr_config;  // copies: plan_frr may replace them while FRR reloads
    std::string text = _frr_text;
    auto r = co_await _frr->apply(std::move(c), std::move(text));
    std::string state;
    if (r) state = "applied";
    else if (r.error() == std::errc::no_such_process) state = "no FRR at " + _c.frr_run_dir;
    else if (r.error() == std::errc::resource_unavailable_try_again) state = _frr_state;  // pausing after a failure
    else state = "apply failed: " + _frr->last_error();
    if (state != _frr_state) {
      if (!r && r.error() != std::errc::resource_unavailable_try_again) note("frr: " + state);
      _frr_state = std::move(state);
      _status_dirty = true;
    }
    if (r && *r) _status_dirty = true;
    const bool due = (r && *r) || rt::unix_ms() - _frr_sessions_ms >= sessions_every_ms;
    if (due && _frr->present()) co_await read_frr_sessions();
  }
}

rt::task<void> agent::read_frr_sessions() {
  _frr_sessions_ms = rt::unix_ms();
  frr::vty_options o;
  o.run_dir = _c.frr_run_dir;
  o.pathspace = _c.frr_pathspace;
  auto s = co_await frr::read_sessions(o);
  if (!s) {
    _frr_sessions.clear();
    co_return;
  }
  if (*s != _frr_sessions) _status_dirty = true;
  _frr_sessions = std::move(*s);
}

void agent::describe_routing(json::writer& w) const {
  w.key("frr").begin_object().key("state").string(_frr ? _frr_state : "off");
  if (_frr)
    w.key("applies").number(static_cast<std::int64_t>(_frr->applies()))
        .key("failures").number(static_cast<std::int64_t>(_frr->failures()))
        .key("policy_changes").number(static_cast<std::int64_t>(_frr->policy_changes()))
        .key("last_applied_ms").number(_frr->last_applied_ms())
        .key("last_reload_ms").number(static_cast<std::int64_t>(_frr->last_duration().count()));
  w.key("sessions").begin_array();
  for (auto& s : _frr_sessions)
    w.begin_object().key("peer").string(s.peer).key("bgp").string(s.bgp).key("bfd").string(s.bfd)
        .key("prefixes").number(s.prefixes).end_object();
  w.end_array().end_object();
}

}  // namespace brood::agent
