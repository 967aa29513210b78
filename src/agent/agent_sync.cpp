// agent, reading the brood: the DNS sync every interval (with the key pick-up of a rotation and
// the refold it needs) and the /watch fast path, both folding into one view by the same rules.
#include <brood/agent/agent.hpp>

#include <brood/agent/watch_stream.hpp>
#include <brood/records/view_reader.hpp>
#include <brood/records/view_update.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/wall_clock.hpp>

#include <algorithm>
#include <cstdio>

namespace brood::agent {

bool agent::reads_every_member_shard() const {
  // A scout's reflector sends each member only its vlans' routes, so it knows every membership.
  // Before its own record is read (a restart), the pinned scout set says whether it is one.
  const auto self = _id.pk();
  if (const auto* me = _view.find_node(self)) return me->role == "scout";
  return std::find(_state.scouts.begin(), _state.scouts.end(), self) != _state.scouts.end();
}

bool agent::every_member_shard_known() const {
  if (!_view.meta || !_view.vlans) return false;
  const auto labels = records::all_shards(_view.meta->shards);
  for (auto& vlan : _view.vlans->members) {
    auto shards = _view.members.find(vlan.vni);
    if (shards == _view.members.end()) return false;
    for (auto& l : labels)
      if (!shards->second.count(l)) return false;
  }
  return true;
}

rt::task<bool> agent::catch_up_key(const std::vector<records::problem>& problems) {
  // A record none of our keys opens, or a newer kv: a rotation is under way.
  const bool unreadable = std::any_of(problems.begin(), problems.end(), [](const records::problem& p) {
    return p.reason == records::error::cannot_decrypt;
  });
  const bool newer_kv = _view.meta && _view.meta->kv > _state.kv();
  if (!unreadable && !newer_kv) co_return false;
  const bool picked = co_await pick_up_key();
  co_return picked;
}

rt::task<void> agent::sync_once() {
  // One read at a time: the sync loop, a heartbeat's newer kv and a watch overflow all ask.
  auto g = co_await _sync_lock.lock();
  if (!g) co_return;
  ++_syncs;
  _last_sync_ms = rt::unix_ms();
  records::read_options o;
  o.timeout = std::chrono::milliseconds(std::min<std::int64_t>(5000, _c.sync_interval.count()));
  o.all_member_shards = reads_every_member_shard();
  auto report = co_await records::read_view(*_doh, _n, _id.pk(), _trust, _view, o);
  // Queries that timed out or lost their connection: the path to the DoH server may be dead
  // (this node's address changed) and TCP would take minutes to say so. Connect afresh.
  const bool broken = std::any_of(report.problems.begin(), report.problems.end(), [](const records::problem& p) {
    return p.reason == std::errc::timed_out || p.reason == std::errc::connection_reset ||
           p.reason == std::errc::connection_aborted || p.reason == std::errc::broken_pipe;
  });
  if (broken) _doh->reset();
  const bool picked = co_await catch_up_key(report.problems);
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
  judge_membership();
  co_await keep_memory();
}

void agent::judge_membership() {
  // The evidence is signed, never an answer anyone could forge: every _n shard read and
  // verified (its header signed by a pinned scout, newer than any seen), this node in none of
  // them, and _meta's kv moved past the key this node holds — the rotation its removal made,
  // whose key was sealed to everyone but it. A resolver's stale or empty answer cannot say
  // that (the view never loses a node to one), and two syncs in a row must.
  if (_state.kv() == 0 || !_view.meta || !mesh_known()) return;
  if (_view.find_node(_id.pk())) {
    if (_removed_since_ms != 0) {
      std::fprintf(stderr, "brood-agent: a member again (approved again); brood key kv=%llu\n",
                   static_cast<unsigned long long>(_state.kv()));
      _phase = "running";
      _status_dirty = true;
    }
    _removed_since_ms = 0;
    _removal_evidence = 0;
    return;
  }
  if (_view.meta->kv <= _state.kv()) {
    _removal_evidence = 0;
    return;
  }
  if (++_removal_evidence < 2 || _removed_since_ms != 0) return;
  _removed_since_ms = rt::unix_ms();
  _phase = "removed";
  _status_dirty = true;
  note("this node was removed from the brood: its record is gone from every _n shard a pinned scout signed, and "
       "the brood key moved to kv " + std::to_string(_view.meta->kv) + " without it. It keeps its identity (" +
       _id.id10() + ") and registers again every 10 minutes: `broodctl approve " + _id.id10() + "` readmits it");
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

bool agent::mesh_known() const {
  if (!_view.meta) return false;
  for (auto& s : records::all_shards(_view.meta->shards))
    if (!_view.node_shards.count(s)) return false;
  return true;
}

rt::task<std::vector<records::problem>> agent::refold(std::vector<std::string> owners,
                                                      std::chrono::milliseconds timeout) {
  const rt::io_options io{rt::clock::now() + timeout};
  std::vector<rt::task<rt::result<std::vector<dns::txt_record>>>> asks;
  for (auto& owner : owners) asks.push_back(_doh->txt(owner, io));
  auto answers = co_await rt::when_all(std::move(asks));
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
  const auto* shard_owner = reads_every_member_shard() ? nullptr : &self;
  (void)records::apply_pushed(_view, _trust, _n, shard_owner, std::move(sets), problems, rt::unix_ms());
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

rt::task<void> agent::watch_loop() {
  for (int attempt = 0;; ++attempt) {
    _watch_state = "connecting";
    auto s = co_await _api->watch();
    if (!s) {
      _watch_state = "down: " + s.error().message();
      // Back soon after a scout restart: 250 ms doubling to 4 s. A removed node, which the scouts
      // refuse, asks every minute.
      const auto wait = _removed_since_ms != 0 ? std::chrono::milliseconds(60'000)
                                               : std::chrono::milliseconds(std::min(4'000, 250 << std::min(attempt, 5)));
      auto slept = co_await rt::sleep_for(wait);
      if (!slept) co_return;
      continue;
    }
    attempt = 0;
    _watch_state = "connected to " + _api->current();
    _status_dirty = true;  // which scout serves this node, in status.json within half a second
    watch_stream stream;
    std::int64_t keepalive_s = 15;
    for (;;) {
      // Twice the scout's ping interval without a byte: the stream is dead.
      const rt::io_options io{rt::clock::now() + std::chrono::seconds(2 * keepalive_s + 5)};
      auto chunk = co_await (*s)->read(io);
      if (!chunk || chunk->empty()) {
        _watch_state = chunk ? "ended" : "lost: " + chunk.error().message();
        break;
      }
      bool overflow = false;
      for (auto& line : stream.feed(*chunk)) {
        if (line.keepalive_s) keepalive_s = *line.keepalive_s;
        overflow = overflow || line.overflow;
        if (!line.sets.empty()) co_await fold_pushed(std::move(line.sets));
      }
      if (overflow || stream.too_long()) {
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
  const auto* shard_owner = reads_every_member_shard() ? nullptr : &self;
  auto folded = records::apply_pushed(_view, _trust, _n, shard_owner, std::move(sets), problems, rt::unix_ms());
  const bool picked = co_await catch_up_key(problems);
  if (picked) {
    problems.clear();
    folded = records::apply_pushed(_view, _trust, _n, shard_owner, std::move(again), problems, rt::unix_ms());
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

}  // namespace brood::agent
