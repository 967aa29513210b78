// api: brood-api, the scouts' HTTPS API (SPEC §6), as handlers for http::server. Operators
// authenticate with the bearer token; nodes sign their requests (auth/request_signature.hpp).
//
// It serves: POST /register, GET /pending, POST /approve/<id>, DELETE /pending/<id> (refusal),
// GET /members, GET /nodes/<id>, DELETE /nodes/<id> (removal with key rotation), POST
// /heartbeat, GET /watch (the records just written, streamed: watch_hub.hpp), the vlans and their
// members (POST/GET /vlans, DELETE /vlans/<vni>, POST/GET /vlans/<vni>/members, DELETE
// /vlans/<vni>/members/<id>), trails (POST/GET /trails, DELETE /trails/<remote_domain>), GET
// /status (operator), GET /healthz, GET /metrics.
//
// Every read is answered from the scout's verified view (scout_view.hpp), never from a provider
// call. Every change is one provider edit — a read-modify-write of the names it touches, all
// written at once or not at all — that starts from the view with the sets just read folded in,
// so the scout signs only what it verified, and a provider failure leaves nothing half-written
// (502/503). Operator changes also hold the brood's change lease (records::lease_record), which
// serialises them across API processes and scouts; every process follows the brood key when
// another one rotates it.
// Lifetime: start() before the server serves the router; run() alongside it until cancelled;
// the api outlives the server; the provider and the scout identity outlive the api.
#pragma once

#include <brood/api/brood_key.hpp>
#include <brood/api/rate_limit.hpp>
#include <brood/api/scout_view.hpp>
#include <brood/api/set_edit.hpp>
#include <brood/api/watch_hub.hpp>
#include <brood/auth/request_signature.hpp>
#include <brood/http/router.hpp>
#include <brood/json/writer.hpp>
#include <brood/provider/provider.hpp>
#include <brood/records/meta.hpp>
#include <brood/records/names.hpp>
#include <brood/records/trail.hpp>
#include <brood/rt/async_mutex.hpp>
#include <brood/rt/wait_slot.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <variant>

namespace brood::api {

struct api_options {
  std::string domain;
  std::string operator_token;  // BROOD_API_TOKEN
  std::string state_dir;       // brood.key, scout.json and the rotation journal live here
  std::uint32_t ttl = 60;      // of every record written
  std::chrono::milliseconds skew{60'000};
  /// Milliseconds since the epoch for heartbeats, liveness, leases and request signatures;
  /// empty: the system clock. (Benchmarks run five minutes of heartbeats in a second with their
  /// own; tests move a scout's clock.)
  std::function<std::int64_t()> clock;
  watch_options watch;
  /// Per client address (429 past them): every request, and registrations (which write) apart.
  rate requests{20, 100};
  rate registrations{0.2, 10};
  /// Registrations written, from all clients together: what strangers can spend of the
  /// provider's budget (503 past it).
  rate registration_writes{0.5, 20};
  /// How often the view is read whole from the provider (besides the sets each change reads):
  /// how long another process's change may take to show in this one's answers.
  std::chrono::milliseconds refresh{10'000};
  /// Registrations held at once, per _p shard and in all (each is a record in the zone).
  std::size_t max_pending_per_shard = 16, max_pending = 64;
  /// How long an operator's change waits for another process's lease before it is refused.
  std::chrono::milliseconds lease_wait{10'000};
  /// The scouts to trust while the state dir has no scout.json yet: empty for the first scout
  /// (it trusts itself); a scout approved later starts from the scouts its agent pinned.
  std::vector<crypto::public_key> pins;
  /// What the program around the API adds to GET /status (keys and values inside its object)
  /// and to GET /metrics (Prometheus text): the scout's certificate, say.
  std::function<void(json::writer&)> status_extra;
  std::function<void(std::string&)> metrics_extra;
};

struct bootstrap_params {
  std::uint32_t asn = 0;
  std::string subnet;  // IPv4 CIDR, the overlay range
  std::uint32_t keepalive = 30, stale = 90;
  unsigned shards = 16;
  /// Where the scout is reached (an IP): its `<id10>.<domain>` A/AAAA record (and one of the
  /// domain's own), the SRV target `_brood._tcp` with `api_port`, and — with `wg_port` — its
  /// WireGuard endpoint. Given, the
  /// scout is also a member of the brood (its own `_n` record, role scout, and a `_k`, which its
  /// agent picks up like any node's); empty, only the brood's sets are written.
  std::string address;
  std::uint16_t api_port = 8443, wg_port = 51820;
};

/// Writes a new brood's _meta (this scout alone in `scouts=`) and the headers of every set
/// (each `_n` shard, `_vl`, `_t`), so every name exists before anyone reads it; with an
/// address, the scout's SRV, A/AAAA (its own, and its address among the domain's), `_n` and
/// `_k` records too. Sets already there are left as they are (a missing scout `_n` is added, and
/// a missing address to the domain's), so running it again is harmless.
rt::task<rt::result<provider::write_stats>> bootstrap(provider::provider& p, const records::names& n,
                                                      const crypto::identity& scout, const brood_key& key,
                                                      const bootstrap_params& params, std::string* why);

/// The tunnel address of the `local` brood's end of a trail to `remote`: a /30 in
/// 169.254.0.0/16 both broods derive alike from the two domain names.
std::string trail_address(std::string_view local, std::string_view remote);

class api {
 public:
  api(api_options o, provider::provider& p, const crypto::identity& scout, brood_key key);
  api(const api&) = delete;
  ~api();
  http::router router();

  /// Before serving: the pins and replay memory from scout.json, a full read of the brood, and
  /// a rotation a crash interrupted (the journal in the state dir says which) finished.
  rt::task<rt::result<void>> start(std::string* why);
  /// Alongside the server until cancelled: the view read whole every `refresh`, the brood key
  /// followed when another process rotates it, this process's liveness record every keepalive,
  /// a failed rotation retried, scout.json saved when it moved.
  rt::task<void> run();
  /// The brood_key in use (after any rotation).
  const brood_key& key() const noexcept { return _key; }
  /// This process's identity in the records it writes per process (the lease; `_l` too, until
  /// the clock is set back).
  const std::string& proc() const noexcept { return _proc; }
  const scout_view& view() const noexcept { return _sv; }

  /// Liveness (SPEC §5.5; src/api/liveness.cpp): writes this process's `_l` record — the
  /// members silent for `stale` seconds at `now_ms`, or none at all when more than
  /// max_silent_fraction of them are silent (then the fault is ours, not theirs) — when that list
  /// changed or the record is older than 2 × keepalive; otherwise writes nothing. Returns
  /// whether it wrote.
  rt::task<rt::result<bool>> write_liveness(std::int64_t now_ms, std::string* why);
  /// Past this share of members silent, a scout publishes no down list (Kubernetes' node
  /// lifecycle controller stops evicting past 55 % of a zone unhealthy, for the same reason).
  static constexpr double max_silent_fraction = 0.55;
  /// Reads the whole brood into the view now (what run() does every `refresh`).
  rt::task<rt::result<void>> refresh(std::string* why);

  /// Counters for /metrics.
  struct counters {
    std::uint64_t requests = 0, registrations = 0, approvals = 0, removals = 0, vlan_changes = 0, heartbeats = 0,
                  liveness_writes = 0, liveness_withheld = 0, provider_edits = 0, provider_failures = 0,
                  auth_failures = 0, rate_limited = 0, endpoint_updates = 0, refreshes = 0, texts_dropped = 0,
                  repairs = 0, key_pickups = 0, lease_waits = 0;
  };
  const counters& stats() const noexcept { return _c; }

 private:
  // The shared preamble and epilogue of every change (src/api/change.cpp).
  struct change {
    records::meta_record meta;  // verified, as the view holds it
    std::vector<crypto::secret_key> ring;
    rt::async_mutex::guard lock;  // this process's: one change at a time
    bool leased = false;          // holds the brood's change lease (operator changes)
  };
  /// What every request shares: counted, refused at 401 unless `operator_only` is false or the
  /// operator token is right, and 503 before the view is ready. The response refusing it, if any.
  std::optional<http::response> admit(const http::request& req, bool operator_only);
  /// How a change takes the brood's change lease: an operator's waits for it (and finishes an
  /// interrupted rotation first); one a heartbeat drives tries once (503: it happens later); a
  /// registration, which touches its own _p shard alone, takes none.
  enum class lease_use { wait, try_once, none };
  /// The preamble of every change, in one place so that no endpoint can skip a step: the write
  /// lock; the change lease as `lease` says; the current brood key (caught up if another process
  /// rotated). The change, or the response refusing it.
  rt::task<std::variant<change, http::response>> begin(lease_use lease, std::string_view op);
  /// One provider edit of `owners` (TXT sets): `fn` runs once the sets as read now are folded
  /// into the view, and builds the sets wanted from it; each is checked against the record
  /// limits before anything is written. Releases the lease afterwards. nullopt once written,
  /// otherwise the response: 409 over a limit, 503 when this process is behind on the key or
  /// cannot verify a set it must change, 502/503 when the provider fails.
  using build_fn = std::function<std::vector<provider::rrset>(const std::vector<provider::rrset>& current)>;
  rt::task<std::optional<http::response>> commit(change& c, std::vector<std::string> owners, build_fn fn);
  /// The same for one set. (Not a coroutine: GCC 12 mishandles an initializer list inside one.)
  rt::task<std::optional<http::response>> commit(change& c, std::string owner, build_fn fn) {
    std::vector<std::string> owners;
    owners.push_back(std::move(owner));
    return commit(c, std::move(owners), std::move(fn));
  }
  /// Ends a change that wrote nothing (its lease released).
  rt::task<void> release(change& c);
  /// The member texts and header of `owner`'s set to change: as the view holds it, or empty
  /// when the provider holds nothing there yet; nullopt when the provider holds texts the view
  /// could not take (the change must not go ahead over them).
  std::optional<std::pair<std::vector<std::string>, std::optional<records::set_header>>> base_of(
      const std::string& owner, const std::vector<provider::rrset>& current) const;
  std::vector<std::string> rebuilt(records::set_kind kind, const std::string& owner, std::vector<std::string> members,
                                   const std::optional<records::set_header>& previous) const;
  http::response provider_failure(std::error_code e, const std::string& why);
  bool is_operator(const http::request& req);
  /// A 429 if `req`'s client is over `limit`.
  std::optional<http::response> over_limit(rate_limiter& limit, const http::request& req);
  std::int64_t now() const;
  /// A write went through: folded into the view, and pushed to the watchers.
  void wrote(const std::vector<provider::rrset>& sets);

  // The change lease (src/api/lease.cpp).
  /// `takeover`: a process of this scout known to be dead (its rotation lock was free) whose
  /// lease counts as lapsed. `wait`: for up to lease_wait while another holds it (operators'
  /// changes); else one try (what a heartbeat drives just happens later).
  rt::task<rt::result<void>> acquire_lease(std::string_view op, std::string* why, std::string takeover = {},
                                           bool wait = true);
  rt::task<rt::result<void>> renew_lease(std::string* why);
  rt::task<void> release_lease();
  std::int64_t _lease_until = 0;  // 0: not held
  std::string _lease_op;

  // Registration and approval (src/api/registration.cpp).
  rt::task<http::response> do_register(const http::request& req);
  rt::task<http::response> pending(const http::request& req);
  rt::task<http::response> approve(const http::request& req, std::string id);
  rt::task<http::response> reject(const http::request& req, std::string id);
  rt::task<http::response> members(const http::request& req);
  rt::task<http::response> node(const http::request& req, std::string id);
  /// Wakes the GET /nodes/<id>?wait= long polls (a membership changed).
  void membership_changed() noexcept;
  std::vector<rt::wait_slot*> _node_waiters;
  std::set<crypto::public_key> _long_polls;  // pending nodes holding a GET /nodes/<id>?wait=
  std::string _dropped_rotation;             // the last rotation overtaken, for /status
  struct rendered {
    std::uint64_t version = ~std::uint64_t{0};
    std::string body;
  } _members_body;  // GET /members at a view version
  // Vlans (src/api/vlans.cpp).
  rt::task<http::response> create_vlan(const http::request& req);
  rt::task<http::response> list_vlans(const http::request& req);
  rt::task<http::response> delete_vlan(const http::request& req, std::string vni);
  rt::task<http::response> add_member(const http::request& req, std::string vni);
  rt::task<http::response> list_members(const http::request& req, std::string vni);
  rt::task<http::response> remove_member(const http::request& req, std::string vni, std::string id);
  // Removal with key rotation (src/api/rotation.cpp).
  struct rotation {
    std::string id;  // the node removed
    crypto::public_key pk{};
    brood_key old_key, new_key;
  };
  rt::task<http::response> remove_node(const http::request& req, std::string id);
  rt::task<rt::result<void>> rotate(const rotation& r, std::string* why);
  rt::task<rt::result<void>> seal_keys(const rotation& r, std::string* why);
  rt::task<rt::result<bool>> switch_sets(const rotation& r, std::string* why);
  rt::task<rt::result<void>> bump_meta(const rotation& r, std::string* why);
  rt::task<rt::result<void>> finish_rotation(const rotation& r, std::string* why);
  /// Finishes the rotation `journal` describes (start-up after a crash), under the lease —
  /// unless the process that wrote it still runs (it holds <state>/rotation.lock) and is
  /// finishing it itself.
  rt::task<rt::result<void>> recover_journal(const std::string& journal, std::string* why, bool leased);
  /// <state>/rotation.lock, held (flock) by the one process of this state dir that rotates;
  /// the kernel lets go when that process dies. -1: not held.
  int _rotation_lock = -1;
  bool lock_rotation();
  void unlock_rotation() noexcept;
  /// Finishes a rotation that failed earlier in this process (the provider was down, say)
  /// before any other change; a response to send instead if it still cannot.
  rt::task<std::optional<http::response>> settle_rotation();
  std::vector<crypto::secret_key> ring() const;
  // The brood key, followed (src/api/key_pickup.cpp).
  /// Takes a newer brood_key when another process rotated: from brood.key in the state dir
  /// (another process of this scout), or from this scout's own _k record. True if it did.
  rt::task<bool> catch_up_key();
  /// Whether this scout's own _k holds `k` (a rotation that reached _meta before it crashed).
  /// Whether `k` is the brood's key at its kv: this scout's own `_k` says so, or — that record
  /// gone — the node records open with it. An error when the provider cannot be read.
  rt::task<rt::result<bool>> own_key_is(const brood_key& k);
  void use_keys();  // the view reads with ring()

  // What running nodes call (src/api/heartbeat.cpp).
  rt::task<http::response> heartbeat(const http::request& req);
  rt::task<http::response> watch(const http::request& req);
  /// A node-signed request from an admitted node: its key, or the response refusing it.
  std::variant<crypto::public_key, http::response> signed_member(const http::request& req, std::int64_t at);
  /// Deletes node `pk`'s _k once it reports the key version the record holds.
  rt::task<void> retire_key(const crypto::public_key& pk, std::uint64_t reported);
  /// Writes node `pk`'s reported endpoints into its _n record if they changed: "same",
  /// "updated", "later" (held down, or a change is under way), or the response refusing it.
  rt::task<std::variant<std::string, http::response>> update_endpoints(const crypto::public_key& pk,
                                                                      std::vector<std::string> reported,
                                                                      std::int64_t at);
  static constexpr std::int64_t endpoint_hold_ms = 300'000;

  // Trails (src/api/trails.cpp).
  rt::task<http::response> create_trail(const http::request& req);
  rt::task<http::response> list_trails(const http::request& req);
  rt::task<http::response> delete_trail(const http::request& req, std::string remote);
  // Health and status (src/api/api.cpp).
  http::response healthz() const;
  rt::task<http::response> status(const http::request& req);
  http::response metrics() const;
  /// Rewrites sets the refresh found carrying texts that do not verify (at most one a minute).
  rt::task<void> repair(std::vector<std::string> owners);

  api_options _o;
  records::names _n;
  watch_hub _watch;
  scout_view _sv;
  watched_provider _wp;  // every write goes through it: the view and GET /watch see each one
  provider::provider& _p;
  const crypto::identity& _scout;
  brood_key _key;
  std::optional<brood_key> _previous_key;  // still read while _meta's kv is behind ours
  std::string _proc;                       // 16 hex digits, random per process
  std::string _liveness_proc;              // its _l identity: _proc, renewed if the clock went back
  auth::request_verifier _verifier;
  std::optional<rotation> _pending;    // a rotation started and not finished
  bool _rotation_failed = false;       // _pending failed and waits to be finished
  std::optional<brood_key> _next_key;  // during a rotation: the key being switched to
  std::map<crypto::public_key, std::int64_t> _last_seen;                 // its last heartbeat (ms)
  std::map<crypto::public_key, std::int64_t> _endpoints_written;         // ms this API last rewrote them
  std::int64_t _started_ms;  // nobody is judged silent before stale has passed
  std::vector<std::string> _last_down;
  std::int64_t _last_liveness_ms = 0, _last_liveness_ts = 0;
  bool _liveness_withheld = false;
  std::string _liveness_note;
  std::int64_t _last_refresh_ms = 0, _last_repair_ms = 0;
  std::string _refresh_error;
  std::vector<std::string> _junk;  // sets the last full read found carrying texts that do not verify
  rate_limiter _limit, _register_limit, _register_writes;
  rt::async_mutex _writes;  // one change at a time from this process
  counters _c;
};

}  // namespace brood::api
