// agent, making the node match the view: the reconciler (woken by a fold, a netlink event or
// its own tick) plans from the view and applies each part; netlink events say what to look at.
#include <brood/agent/agent.hpp>

#include <brood/netlink/watch.hpp>
#include <brood/rt/residency.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/wall_clock.hpp>
#include <brood/rt/with_timeout.hpp>

#include <algorithm>

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
      _mesh->link_changed();
      _segments.link_changed();
      kick();  // events were lost: look at everything
      _endpoints_pending = true;
      _endpoints_wake.notify();
      continue;
    }
    for (auto& e : *events) {
      using what = netlink::link_watcher::event::what;
      if (e.name == _c.wg_interface || e.kind == what::addr_del || e.kind == what::link_del ||
          e.kind == what::addr_new) {
        _mesh->link_changed();
        kick();
      }
      if (e.kind == what::link_new || e.kind == what::link_del || e.kind == what::addr_del) {
        _segments.link_changed();  // a vlan device changed or went (brood's own changes too)
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
  // The mesh first: a vlan's VXLAN port carries its frames over wg0.
  const bool mesh_changed = co_await reconcile_mesh();
  const bool segments_changed = co_await reconcile_segments();
  co_return mesh_changed || segments_changed;
}

rt::task<bool> agent::reconcile_segments() {
  const auto p = plan_segments(_view, _id.pk());
  if (p.refused != _segments_refused) {
    for (auto& why : p.refused) note("vlan refused: " + why);
    _segments_refused = p.refused;
    _status_dirty = true;
  }
  auto r = co_await _segments.apply(p);
  if (!r) {
    note("vlans: " + r.error().message());
    co_return true;
  }
  co_return *r;
}

rt::task<bool> agent::reconcile_mesh() {
  auto current = co_await _mesh->device();
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
  in.announced_before = &_mesh->announced();
  in.view_complete = mesh_known();
  const auto p = make_plan(in);
  if (p.liveness_refused != _liveness.refused && !p.liveness_refused.empty()) note("liveness: " + p.liveness_refused);
  if (p.excluded != _liveness.excluded || p.kept_alive != _liveness.kept_alive || p.liveness_refused != _liveness.refused)
    _status_dirty = true;
  _liveness = {p.excluded, p.kept_alive, p.duplicate_ip, p.liveness_refused};
  plan_frr(p);  // BGP sessions follow the WireGuard peers
  auto r = co_await _mesh->apply(*current, p);
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

}  // namespace brood::agent
