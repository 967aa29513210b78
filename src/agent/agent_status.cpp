// agent, telling: status.json (read by `brood-agent status`, operators and the benches), the
// agent's own section, then each applier's; and what a scout's API takes over from it.
#include <brood/agent/agent.hpp>

#include <brood/json/writer.hpp>
#include <brood/rt/file.hpp>
#include <brood/rt/wall_clock.hpp>

namespace brood::agent {

rt::task<void> agent::write_status() {
  json::writer w;
  w.begin_object()
      .key("id").string(_id.id10())
      .key("pk").string(crypto::base64url(_id.pk()))
      .key("domain").string(_c.domain)
      .key("phase").string(_phase)
      .key("kv").number(static_cast<std::int64_t>(_state.kv()))
      .key("kv_since_ms").number(_kv_since_ms);
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
  w.key("removed_since_ms").number(_removed_since_ms);
  auto ids = [&](const char* name, const std::vector<std::string>& list) {
    w.key(name).begin_array();
    for (auto& id : list) w.string(id);
    w.end_array();
  };
  ids("excluded", _liveness.excluded);
  ids("kept_alive", _liveness.kept_alive);
  ids("duplicate_ip", _liveness.duplicate_ip);
  w.key("liveness_refused").string(_liveness.refused);
  w.key("interface").string(_c.wg_interface);
  if (_mesh) _mesh->describe(w);
  _segments.describe(w);
  describe_routing(w);
  w.key("errors").begin_array();
  for (auto& e : _errors) w.string(e);
  w.end_array().key("written_ms").number(rt::unix_ms()).end_object();
  auto ok = co_await rt::write_file_atomic(_c.state_dir + "/status.json", w.take(), 0644, rt::durability::relaxed);
  if (ok) _status_written_ms = rt::unix_ms();
}

}  // namespace brood::agent

namespace brood::agent {

std::optional<agent::scout_handoff> agent::handoff() const {
  const auto* self = _view.find_node(_id.pk());
  if (!self || self->role != "scout" || _state.keys.empty() || _state.scouts.empty()) return std::nullopt;
  return scout_handoff{_state.keys.front().kv, _state.keys.front().key, _state.scouts};
}

}  // namespace brood::agent
