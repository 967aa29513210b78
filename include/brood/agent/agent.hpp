// agent: brood-agent's work on one reactor (SPEC §5) — enrolment (STUN, /register, waiting
// for approval, picking up _k), then as concurrent tasks: the DNS sync every interval, the
// /watch fast path, heartbeats, netlink events, the node's own endpoints (STUN again when an
// address changes), and one reconciler that makes WireGuard and the vlans' devices match the
// view, woken by any of them and at least twice a second. DNS stays the source of truth; the
// view only ever loses something through a valid, signed, newer record, so losing DNS or every
// scout leaves the mesh as it is (fail static).
// Lifetime: run() until its task is cancelled (SIGTERM); the identity outlives the agent.
#pragma once

#include <brood/agent/api_client.hpp>
#include <brood/agent/config.hpp>
#include <brood/agent/mesh.hpp>
#include <brood/agent/segments.hpp>
#include <brood/agent/node_state.hpp>
#include <brood/crypto/identity.hpp>
#include <brood/dns/doh_client.hpp>
#include <brood/frr/reload.hpp>
#include <brood/frr/sessions.hpp>
#include <brood/json/writer.hpp>
#include <brood/records/names.hpp>
#include <brood/records/trust_store.hpp>
#include <brood/records/view.hpp>
#include <brood/records/view_update.hpp>
#include <brood/rt/async_mutex.hpp>
#include <brood/rt/task.hpp>
#include <brood/rt/wait_slot.hpp>
#include <brood/stun/stun_client.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace brood::agent {

class agent {
 public:
  agent(config c, const crypto::identity& id);
  agent(const agent&) = delete;
  ~agent();

  /// Enrols if needed, then keeps the node in sync until cancelled. 0 on a clean stop.
  rt::task<int> run();

  /// What a scout's API needs from this node's agent (SPEC §5.10): once the node is a member
  /// with role scout and holds the brood key — the key, and the scouts it pinned at admission
  /// (the API's first pins). nullopt before then, and for a worker.
  struct scout_handoff {
    std::uint64_t kv = 0;
    crypto::secret_key key{};
    std::vector<crypto::public_key> pins;
  };
  std::optional<scout_handoff> handoff() const;

 private:
  // Enrolment (agent_enrol.cpp).
  rt::task<bool> enrol();
  rt::task<std::vector<std::string>> discover_endpoints();
  /// Takes a newer brood_key from _k texts (this node's own record); true if it did.
  bool adopt_keys(const std::vector<std::string>& texts);
  rt::task<bool> pick_up_key();
  // Reading the brood (agent_sync.cpp).
  /// A scout's agent folds every _m shard, read or pushed; a worker's only its own.
  bool reads_every_member_shard() const;
  /// _vl and every _m shard of every vlan have been read (what a reflector's filters need).
  bool every_member_shard_known() const;
  /// After a fold that met a record none of our keys opens, or a _meta whose kv is ahead of
  /// ours: the rotation's key picked up; true if it was (the caller folds again).
  rt::task<bool> catch_up_key(const std::vector<records::problem>& problems);
  rt::task<void> sync_loop();
  rt::task<void> sync_once();
  /// Reads `owners` again and folds them as a pushed write would be (after a new key).
  rt::task<std::vector<records::problem>> refold(std::vector<std::string> owners, std::chrono::milliseconds timeout);
  rt::task<void> watch_loop();
  rt::task<void> fold_pushed(std::vector<records::pushed_set> sets);
  /// Says once, plainly, when _meta's kv is ahead of the key this node holds.
  void note_key_lag();
  /// Every _n shard has been read whole since start: the view may take peers away. Judged per
  /// set, so that a bad record elsewhere (a forged _meta beside the real one) blocks nothing.
  bool mesh_known() const;
  // Telling the scouts (agent.cpp).
  rt::task<void> heartbeat_loop();
  rt::task<void> send_heartbeat();
  /// POST /register's body: this node's pending record, signed, for the _p shard `owner`.
  std::string registration_body(const std::string& owner) const;
  /// A removed node's registration, sent again so that the operator can approve it again.
  rt::task<void> register_again();
  /// After a sync: whether signed evidence says this node was removed (judge_membership in
  /// agent_sync.cpp), or that it is a member again.
  void judge_membership();
  rt::task<void> endpoint_loop();
  // Making the node match (agent_reconcile.cpp).
  rt::task<void> link_loop();
  rt::task<void> reconcile_loop();
  /// True when anything changed (or could not be read): the mesh, then the vlans' devices.
  rt::task<bool> reconcile();
  rt::task<bool> reconcile_mesh();
  rt::task<bool> reconcile_segments();
  // Routing (agent_routing.cpp).
  /// The FRR text for the view and this mesh plan; the routing task is woken when it changed.
  void plan_frr(const plan& mesh);
  rt::task<void> routing_loop();
  rt::task<void> read_frr_sessions();  // BGP and BFD state for status
  void describe_routing(json::writer& w) const;
  void kick() noexcept;
  void note(std::string problem);
  rt::task<void> save();  // agent.json, one writer at a time
  /// Saves the replay memory when it moved since it was last saved.
  rt::task<void> keep_memory();
  rt::task<void> write_status();  // agent_status.cpp

  config _c;
  const crypto::identity& _id;
  records::names _n;
  std::unique_ptr<dns::doh_client> _doh;
  std::unique_ptr<api_client> _api;
  std::unique_ptr<mesh> _mesh;
  segments _segments;
  std::vector<std::string> _segments_refused;  // the plan's refusals last noted
  std::unique_ptr<frr::reloader> _frr;  // none with BROOD_FRR=off
  frr::config _frr_config;              // what FRR should run,
  std::string _frr_text;                // rendered ("": nothing yet)
  rt::wait_slot _frr_wake;
  std::string _frr_state = "waiting";
  std::vector<frr::session> _frr_sessions;  // as FRR last reported them
  std::int64_t _frr_sessions_ms = 0;
  node_state _state;
  records::trust_store _trust;
  records::view _view;
  std::vector<std::string> _endpoints;  // announced: STUN's findings or BROOD_ENDPOINT
  std::string _nat = "unknown";         // mapping behaviour STUN saw
  rt::wait_slot _wake;
  bool _dirty = true;
  rt::wait_slot _endpoints_wake;  // an address changed: ask STUN again
  bool _endpoints_pending = false;
  std::uint64_t _memory_saved = 0;  // the trust store's generation last saved
  std::int64_t _behind_since_ms = 0;  // since when _meta's kv is ahead of ours (0: it is not)
  // Removed from the brood (SPEC §5.6), as signed records say: since when (0: a member), and
  // how many syncs in a row have said so.
  std::int64_t _removed_since_ms = 0;
  int _removal_evidence = 0;
  rt::async_mutex _sync_lock, _key_lock, _save_lock;
  // Status.
  std::string _phase = "starting";
  std::int64_t _last_sync_ms = 0, _last_sync_ok_ms = 0, _last_push_ms = 0, _last_heartbeat_ok_ms = 0;
  std::int64_t _kv_since_ms = 0, _status_written_ms = 0, _shed_ms = 0;
  bool _status_dirty = true;  // something status shows changed besides the device (a new key)
  std::uint64_t _syncs = 0, _pushes = 0, _sync_failures = 0;
  std::string _watch_state = "off";
  struct liveness_outcome {  // of the last plan, for status
    std::vector<std::string> excluded, kept_alive, duplicate_ip;
    std::string refused;
  } _liveness;
  std::vector<std::string> _errors;  // the latest few, newest last
};

}  // namespace brood::agent
