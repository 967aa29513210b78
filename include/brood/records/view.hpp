// view: a brood as one reader knows it from its records — _meta, every _n shard, the vlans, the
// _m shards it reads (a node its own shard of each vlan, a scout all of them), trails and the
// scouts' liveness evidence — and the difference between two views, which is what a sync applies.
#pragma once

#include <brood/records/meta.hpp>
#include <brood/records/node.hpp>
#include <brood/records/set_header.hpp>
#include <brood/records/trail.hpp>
#include <brood/records/vlan.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace brood::records {

template <class Member>
struct set_view {
  set_header header;
  std::vector<Member> members;    // at most one per identity, in answer order
  std::vector<std::string> texts; // members' exact texts, in the same order (a scout carries
                                  // them unchanged into the sets it writes)
  bool complete = true;           // exactly the set `header` lists; false when merged from a
                                  // partial answer (docs/records.md §2)
};

/// How far ahead of the reader's clock a liveness record may be dated (the skew the API allows
/// on signed requests): anything later is refused, so a scout whose clock ran ahead cannot
/// leave evidence that stays "fresh" after its clock is put right.
inline constexpr std::int64_t max_liveness_ahead_ms = 60'000;

struct view {
  std::optional<meta_record> meta;
  std::map<std::string, set_view<node_record>> node_shards;       // shard label → _n shard
  std::optional<set_view<vlan_record>> vlans;                     // _vl
  /// vni → shard label → _m shard: a node holds its own shard of each vlan, a scout all of them.
  std::map<std::uint32_t, std::map<std::string, set_view<member_record>>> members;
  std::optional<set_view<trail_record>> trails;                   // _t (scouts read it)
  /// scout id10 → API process → its _l record.
  std::map<std::string, std::map<std::string, liveness_record>> liveness;

  std::vector<const node_record*> nodes() const;
  const node_record* find_node(const crypto::public_key& pk) const;
  /// vni → this node's IP in that vlan (from its own _m shards).
  std::map<std::uint32_t, std::string> memberships(const crypto::public_key& self) const;
  const set_view<member_record>* member_shard(std::uint32_t vni, const std::string& shard) const;
  /// Whether the scouts' liveness evidence says node `id10` is down (SPEC §5.5): every one of
  /// `scouts` has records younger than `fresh_ms` at `now_ms` (and not dated more than
  /// max_liveness_ahead_ms after it), and every one of those lists it. Missing, stale or
  /// future-dated evidence from any scout means "not down" — fail static.
  bool judged_down(std::string_view id10, std::int64_t now_ms, std::int64_t fresh_ms,
                   const std::vector<crypto::public_key>& scouts) const;
};

struct view_diff {
  bool meta_changed = false;
  std::vector<crypto::public_key> nodes_added, nodes_removed, nodes_changed;
  std::vector<std::uint32_t> vlans_added, vlans_removed, vlans_changed;
  std::vector<std::uint32_t> memberships_changed;  // vnis where this node's membership or IP changed
  bool empty() const noexcept;
};
view_diff diff(const view& before, const view& after, const crypto::public_key& self);

}  // namespace brood::records
