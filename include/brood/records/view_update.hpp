// Folding DNS answers into a view (docs/records.md §2, §4): each function takes the TXT texts
// of one name and either replaces that part of the view as a whole — every record verified,
// decrypted, newer than what was seen, no member missing — or leaves it as it was and says
// why. Nothing here removes anything on an error: that is what makes losing DNS harmless.
// Readers (agents) and writers (a scout, before it changes a set) fold by the same rules, so a
// scout never carries into a set it signs a text its own readers would refuse.
#pragma once

#include <brood/records/names.hpp>
#include <brood/records/trust_store.hpp>
#include <brood/records/view.hpp>

#include <string>
#include <system_error>
#include <vector>

namespace brood::records {

/// Why a record or a whole answer was not used.
struct problem {
  std::string owner;
  std::error_code reason;
  /// A text left out of an answer that was otherwise used (a forged or garbled record next to
  /// the valid ones): worth reporting, but the part of the view it sat in is up to date.
  bool ignored = false;
};
using texts = std::vector<std::string>;

/// _meta: the newest valid record. With pins, a changed scouts= set is signed by a pinned scout
/// and then becomes the pinned set. Invalid texts beside a valid newest one are ignored; at most
/// a few signatures are checked per answer, newest claimed ts first.
void apply_meta(view& v, trust_store& t, const names& n, const texts& answer, std::vector<problem>& problems);
void apply_node_shard(view& v, trust_store& t, const names& n, const std::string& shard, const texts& answer,
                      std::vector<problem>& problems);
void apply_vlans(view& v, trust_store& t, const names& n, const texts& answer, std::vector<problem>& problems);
void apply_member_shard(view& v, trust_store& t, const names& n, const std::string& shard, std::uint32_t vni,
                        const texts& answer, std::vector<problem>& problems);
void apply_trails(view& v, trust_store& t, const names& n, const texts& answer, std::vector<problem>& problems);
/// _l: every trusted scout's records, one per API process. A record dated more than
/// max_liveness_ahead_ms after `now_ms` is refused (and not remembered).
void apply_liveness(view& v, trust_store& t, const names& n, const texts& answer, std::vector<problem>& problems,
                    std::int64_t now_ms);

/// One set of a write a scout pushed (GET /watch): the whole TXT RRset at `owner`, as just written.
struct pushed_set {
  std::string owner;
  texts values;
};
/// Folds a pushed write exactly as DoH answers for those names would be, each set by the
/// function above for its kind of name, in the order a read folds them (_meta, _n, _vl, the _m
/// shards, _t, _l: a vlan is known before its members are). Skips names the view does not hold
/// (_p, _k, another domain; with `self`, the _m shards other than self's) and empty sets: a name
/// that went is handled as a failed lookup is, through the sets that list it. `self` null: a
/// scout's view, which holds every _m shard. Returns how many sets it folded.
unsigned apply_pushed(view& v, trust_store& t, const names& n, const crypto::public_key* self,
                      std::vector<pushed_set> sets, std::vector<problem>& problems, std::int64_t now_ms);

/// The keys a record must be signed by now: the pinned scouts, or before pinning the scouts of
/// the view's _meta (none before _meta is known).
std::vector<crypto::public_key> current_signers(const view& v, const trust_store& t);

}  // namespace brood::records
