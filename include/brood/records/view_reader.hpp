// read_view: one full read of a brood over DoH (SPEC §5.4) — every name a node needs, asked
// concurrently on one HTTP/2 connection, each answer folded into the view by view_update's
// all-or-nothing rules. A failed lookup (timeout, NXDOMAIN, SERVFAIL…) is a problem in the
// report and leaves that part of the view as it was.
#pragma once

#include <brood/dns/doh_client.hpp>
#include <brood/records/view_update.hpp>
#include <brood/rt/task.hpp>

namespace brood::records {

struct read_options {
  bool trails = false;  // scouts also read _t
  bool all_member_shards = false;  // every _m shard of every vlan, not only the reader's own
  std::chrono::milliseconds timeout{5000};  // per query
  std::int64_t now_ms = 0;                  // the wall clock liveness is judged by; 0: rt::unix_ms()
};

struct read_report {
  unsigned queries = 0;
  std::size_t answer_bytes = 0;  // DNS message bytes received
  unsigned round_trips = 0;      // waves of concurrent queries (1 in steady state)
  std::vector<problem> problems;
};

/// Reads _meta, every _n shard, _vl, _l (and _t), and `self`'s own _m shard of every vlan (or all) into
/// `v`. Names known from the previous view go out in one wave; a second wave asks for what the
/// first revealed (new vlans, a changed shard count).
rt::task<read_report> read_view(dns::doh_client& doh, const names& n, const crypto::public_key& self, trust_store& t,
                                view& v, read_options o = {});

}  // namespace brood::records
