// view: a brood as one node knows it from its records — _meta, every _n shard, the vlans, the
// node's own _m shard of each vlan, trails and the scouts' liveness evidence — and the
// difference between two views, which is what a sync applies.
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
  std::vector<Member> members;  // at most one per identity, in answer order
  bool complete = true;         // exactly the set `header` lists; false when merged from a
                                // partial answer (docs/records.md §2)
};

struct view {
  std::optional<meta_record> meta;
  std::map<std::string, set_view<node_record>> node_shards;       // shard label → _n shard
  std::optional<set_view<vlan_record>> vlans;                     // _vl
  std::map<std::uint32_t, set_view<member_record>> own_members;   // vni → own _m shard
  std::optional<set_view<trail_record>> trails;                   // _t (scouts read it)
  std::map<std::string, liveness_record> liveness;                // scout id10 → _l record

  std::vector<const node_record*> nodes() const;
  const node_record* find_node(const crypto::public_key& pk) const;
  /// vni → this node's IP in that vlan (from its own _m shards).
  std::map<std::uint32_t, std::string> memberships(const crypto::public_key& self) const;
  /// Whether the scouts' liveness evidence says node `id10` is down (SPEC §5.5): every one of
  /// `scouts` has an _l record younger than `fresh_ms` at `now_ms` that lists it. Missing or
  /// stale evidence from any scout means "not down" — fail static.
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
