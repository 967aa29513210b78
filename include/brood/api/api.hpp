// api: brood-api, the scouts' HTTPS API (SPEC §6), as handlers for http::server. Operators
// authenticate with the bearer token; nodes sign their requests (auth/request_signature.hpp).
// Every change is one provider edit — a read-modify-write of the names it touches, all written
// at once or not at all — so a provider failure leaves nothing half-written (502/503), and two
// scouts changing the same set both get their change in.
//
// This step serves: POST /register, GET /pending, POST /approve/<id>, GET /members,
// GET /nodes/<id>, DELETE /nodes/<id> (removal with key rotation), POST /heartbeat, GET /watch
// (the records just written, streamed: watch_hub.hpp), the vlans and their members (POST/GET
// /vlans, DELETE /vlans/<vni>, POST/GET /vlans/<vni>/members, DELETE /vlans/<vni>/members/<id>),
// trails (POST/GET /trails, DELETE /trails/<remote_domain>), GET /status (operator), GET /healthz,
// GET /metrics.
// Lifetime: the api must outlive the server serving its router; the provider and the scout
// identity must outlive the api.
#pragma once

#include <brood/api/brood_key.hpp>
#include <brood/api/rate_limit.hpp>
#include <brood/api/set_edit.hpp>
#include <brood/api/watch_hub.hpp>
#include <brood/auth/request_signature.hpp>
#include <brood/http/router.hpp>
#include <brood/provider/provider.hpp>
#include <brood/records/meta.hpp>
#include <brood/records/names.hpp>
#include <brood/rt/async_mutex.hpp>

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
  std::string state_dir;       // brood.key and the rotation journal live here
  std::uint32_t ttl = 60;      // of every record written
  std::chrono::milliseconds skew{60'000};
  /// Milliseconds since the epoch for heartbeats, liveness and request signatures; empty: the
  /// system clock. (Benchmarks run five minutes of heartbeats in a second with their own.)
  std::function<std::int64_t()> clock;
  watch_options watch;
  /// Per client address (429 past them): every request, and registrations (which write) apart.
  rate requests{20, 100};
  rate registrations{0.2, 10};
};

struct bootstrap_params {
  std::uint32_t asn = 0;
  std::string subnet;  // IPv4 CIDR, the overlay range
  std::uint32_t keepalive = 30, stale = 90;
  unsigned shards = 16;
  /// Where the scout is reached (an IP): its `<id10>.<domain>` A/AAAA record, the SRV target
  /// `_brood._tcp` with `api_port`, and — with `wg_port` — its WireGuard endpoint. Given, the
  /// scout is also a member of the brood (its own `_n` record, role scout, and a `_k`, which its
  /// agent picks up like any node's); empty, only the brood's sets are written.
  std::string address;
  std::uint16_t api_port = 8443, wg_port = 51820;
};

/// Writes a new brood's _meta (this scout alone in `scouts=`) and the headers of every set
/// (each `_n` shard, `_vl`, `_t`), so every name exists before anyone reads it; with an
/// address, the scout's SRV, A/AAAA, `_n` and `_k` records too. Sets already there are left as
/// they are (a missing scout `_n` is added), so running it again is harmless.
rt::task<rt::result<provider::write_stats>> bootstrap(provider::provider& p, const records::names& n,
                                                      const crypto::identity& scout, const brood_key& key,
                                                      const bootstrap_params& params, std::string* why);

/// The tunnel address of the `local` brood's end of a trail to `remote`: a /30 in
/// 169.254.0.0/16 both broods derive alike from the two domain names.
std::string trail_address(std::string_view local, std::string_view remote);

class api {
 public:
  api(api_options o, provider::provider& p, const crypto::identity& scout, brood_key key);
  http::router router();

  /// Finishes a rotation a crash interrupted (the journal in the state dir says which), before
  /// the API serves. Nothing to do without a journal.
  rt::task<rt::result<void>> recover(std::string* why);
  /// The brood_key in use (after any rotation).
  const brood_key& key() const noexcept { return _key; }

  /// Liveness (SPEC §5.5; src/api/liveness.cpp): writes this scout's `_l` record — the admitted
  /// nodes silent for `stale` seconds at `now_ms` — when that list changed or the record is
  /// older than 2 × keepalive; otherwise writes nothing. Returns whether it wrote.
  rt::task<rt::result<bool>> write_liveness(std::int64_t now_ms, std::string* why);
  /// Calls write_liveness every keepalive seconds until cancelled.
  rt::task<void> run_liveness();

  /// Counters for /metrics.
  struct counters {
    std::uint64_t requests = 0, registrations = 0, approvals = 0, removals = 0, vlan_changes = 0, heartbeats = 0,
                  liveness_writes = 0, provider_edits = 0, provider_failures = 0, auth_failures = 0,
                  rate_limited = 0, endpoint_updates = 0;
  };
  const counters& stats() const noexcept { return _c; }

 private:
  rt::task<http::response> do_register(const http::request& req);
  rt::task<http::response> pending(const http::request& req);
  rt::task<http::response> approve(const http::request& req, std::string id);
  rt::task<http::response> members(const http::request& req);
  rt::task<http::response> node(const http::request& req, std::string id);
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
    brood_key old_key, new_key;
  };
  rt::task<http::response> remove_node(const http::request& req, std::string id);
  rt::task<rt::result<void>> rotate(const rotation& r, std::string* why);
  /// Finishes a rotation that failed earlier in this process (the provider was down, say)
  /// before any other change; a response to send instead if it still cannot.
  rt::task<std::optional<http::response>> settle_rotation();
  std::vector<crypto::secret_key> ring() const;

  rt::task<http::response> heartbeat(const http::request& req);
  rt::task<http::response> watch(const http::request& req);
  /// Writes node `id`'s reported endpoints into its _n record if they changed: "same",
  /// "updated", "later" (held down, or a rotation is under way), or the response refusing it.
  rt::task<std::variant<std::string, http::response>> update_endpoints(const std::string& id,
                                                                      std::vector<std::string> reported,
                                                                      std::int64_t at);
  static constexpr std::int64_t endpoint_hold_ms = 300'000;
  /// A node-signed request from an admitted node: its id10, or the response refusing it.
  rt::task<std::variant<std::string, http::response>> signed_member(const http::request& req, std::int64_t at);
  /// The admitted nodes' id10s, read through the provider at most every 5 minutes (and after
  /// this API's own approvals and removals).
  rt::task<rt::result<std::vector<std::string>>> member_ids(std::int64_t now_ms, std::string* why);

  // Trails (src/api/trails.cpp).
  rt::task<http::response> create_trail(const http::request& req);
  rt::task<http::response> list_trails(const http::request& req);
  rt::task<http::response> delete_trail(const http::request& req, std::string remote);
  http::response healthz() const;
  rt::task<http::response> status(const http::request& req);
  http::response metrics() const;

  /// The current _meta (read through the provider when not known yet).
  rt::task<rt::result<records::meta_record>> meta(std::string* why);
  http::response provider_failure(std::error_code e, const std::string& why);
  bool is_operator(const http::request& req);
  /// A 429 if `req`'s client is over `limit`.
  std::optional<http::response> over_limit(rate_limiter& limit, const http::request& req);
  std::int64_t now() const { return _o.clock ? _o.clock() : now_ms(); }

  api_options _o;
  watch_hub _watch;
  watched_provider _wp;  // every write goes through it, so GET /watch sees each one
  provider::provider& _p;
  const crypto::identity& _scout;
  brood_key _key;
  records::names _n;
  auth::request_verifier _verifier;
  std::optional<records::meta_record> _meta;
  std::optional<rotation> _pending;    // a rotation started and not finished
  bool _rotation_failed = false;       // _pending failed and waits to be finished
  std::optional<brood_key> _next_key;  // during a rotation: the key being switched to
  std::map<std::string, std::int64_t> _last_seen;  // id10 → ms of its last heartbeat
  std::map<std::string, std::vector<std::string>> _endpoints;  // id10 → endpoints in its _n record
  std::map<std::string, std::int64_t> _endpoints_written;      // id10 → ms this API last rewrote them
  std::set<std::string> _keys_out;      // id10s whose _k this API wrote and has not deleted
  std::set<std::string> _keys_checked;  // id10s known to have no _k left (since this API started)
  std::int64_t _started_ms;                        // nobody is judged silent before stale has passed
  std::vector<std::string> _members_cache;
  rt::async_mutex _members_lock;  // one read of the member list at a time
  std::int64_t _members_read_ms = 0;
  std::vector<std::string> _last_down;
  std::int64_t _last_liveness_ms = 0;
  rate_limiter _limit, _register_limit;
  rt::async_mutex _writes;             // one change at a time from this process
  counters _c;
};

}  // namespace brood::api
