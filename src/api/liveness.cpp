// brood-api: this process's liveness record (SPEC §5.5). Heartbeats are kept in memory; the
// provider sees one `_l` write per process when the set of silent members changes, and a
// refresh every 2 × keepalive so readers can tell the evidence is fresh — about five writes per
// process per five minutes in steady state, whatever the brood's size.
//
// Liveness must never become an outage. A process that heard from too few members — more than
// max_silent_fraction of them silent: its certificate expired, its clock is off, its port is
// flooded or firewalled — publishes no down list: the fault is its own, not theirs. Its records'
// ts never go back (a clock set back writes one past the last), and readers refuse records dated
// ahead of their own clock, so a scout whose clock ran fast cannot leave evidence that stays
// fresh. Each process writes its own record (`proc`), so processes of one scout, each hearing
// the nodes that heartbeat to it, do not overwrite each other.
#include <brood/api/api.hpp>

#include "handler_util.hpp"

#include <brood/records/view.hpp>

#include <algorithm>
#include <cmath>

namespace brood::api {

using provider::rr_type;
using provider::rrset;

rt::task<rt::result<bool>> api::write_liveness(std::int64_t at, std::string* why) {
  if (!_sv.ready() || !_sv.view.meta) co_return false;
  const auto& meta = *_sv.view.meta;
  const auto stale_ms = static_cast<std::int64_t>(meta.stale) * 1000;
  const auto refresh_ms = static_cast<std::int64_t>(meta.keepalive) * 2000;
  std::vector<std::string> down;
  std::size_t others = 0;
  for (auto* n : _sv.view.nodes()) {
    if (n->pk == _scout.pk()) continue;
    ++others;
    auto seen = _last_seen.find(n->pk);
    const auto last = seen == _last_seen.end() ? _started_ms : seen->second;
    if (at - last > stale_ms) down.push_back(crypto::id10(n->pk));
  }
  std::sort(down.begin(), down.end());
  const bool withheld = others > 0 && static_cast<double>(down.size()) > max_silent_fraction * static_cast<double>(others);
  if (withheld) {
    _liveness_note = "withheld: " + std::to_string(down.size()) + " of " + std::to_string(others) +
                     " members silent, more than a scout may judge down (its own fault, not theirs)";
    down.clear();
  } else {
    _liveness_note.clear();
  }
  // A clock set back by more than readers accept ahead of theirs: what this process wrote last
  // is dated in their future and refused, so it writes under a new identity from now on rather
  // than keep dating its records ahead until its clock catches up.
  if (_last_liveness_ts - at > records::max_liveness_ahead_ms) {
    _liveness_proc = random_proc();
    _last_liveness_ts = 0;
    _last_liveness_ms = 0;
  }
  if (down == _last_down && _last_liveness_ms != 0 && at - _last_liveness_ms < refresh_ms) co_return false;
  // Never older than what this identity wrote last, whatever its clock says now.
  const auto ts = std::max(at, _last_liveness_ts + 1);
  const auto id = _scout.id10();
  const auto owner = _n.liveness();
  const auto text = records::encode(records::liveness_record{id, _liveness_proc, down, ts}, owner, _scout);
  const auto signers = _sv.trust.scouts;
  const auto gone_after = 10 * refresh_ms;  // a process that wrote nothing for this long has stopped
  std::vector<rrset> sets{{owner, rr_type::txt, _o.ttl, {}}};
  provider::provider::edit_fn fn = [&](const std::vector<rrset>& current) {
    auto next = current;
    std::erase_if(next[0].values, [&](const std::string& t) {
      auto l = records::decode_liveness(t, owner, signers);
      if (!l) return true;                              // garbage, or a scout no longer trusted
      if (l->scout != id) return false;  // another scout's
      // Ours; a stopped process of this scout; one dated ahead of this clock (readers refuse it).
      return l->proc == _liveness_proc || at - l->ts > gone_after || l->ts - at > records::max_liveness_ahead_ms;
    });
    next[0].values.push_back(text);
    return next;
  };
  auto w = co_await _p.edit(std::move(sets), std::move(fn), why);
  if (!w) co_return w.error();
  if (w->changed_sets > 0) ++_c.provider_edits;
  _last_down = std::move(down);
  _last_liveness_ms = at;
  _last_liveness_ts = ts;
  ++_c.liveness_writes;
  if (withheld) ++_c.liveness_withheld;
  co_return true;
}

}  // namespace brood::api
