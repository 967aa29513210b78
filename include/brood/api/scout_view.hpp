// scout_view: one API process's verified picture of its brood — what every read endpoint
// answers from and every change starts from. It is folded by the readers' own rules
// (records/view_update.hpp) under the scout's pinned scout set: from the sets each edit reads,
// from every set this process writes, and from a full read on a schedule. So nothing the scout
// did not verify reaches an answer or a set it signs, and a read costs no provider call.
// Registrations (`_p`, each signed by its node) and which nodes still have a `_k` are kept here
// too. The pins and the replay memory persist in <state>/scout.json (load / save).
// Lifetime: one per API process; the names and the scout identity outlive it.
#pragma once

#include <brood/provider/provider.hpp>
#include <brood/records/names.hpp>
#include <brood/records/node.hpp>
#include <brood/records/trust_store.hpp>
#include <brood/records/view.hpp>
#include <brood/records/view_update.hpp>
#include <brood/rt/task.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace brood::api {

class scout_view {
 public:
  /// A registration older than this is forgotten (and goes at the next write of its shard).
  static constexpr std::int64_t pending_ttl_ms = 24 * 3600 * 1000LL;
  /// Nor is one dated further ahead than this counted (POST /register refuses more than the
  /// API's skew; this is for registrations another scout, whose clock is off, accepted).
  static constexpr std::int64_t pending_ahead_ms = 5 * 60 * 1000LL;

  scout_view(const records::names& n, const crypto::identity& scout);

  records::view view;
  records::trust_store trust;
  struct registration {
    records::pending_record record;
    std::string text;
  };
  std::map<std::string, std::vector<registration>> pending;  // _p shard label → registrations
  std::set<std::string> keys_out;                              // id10s whose _k record exists

  /// Folds TXT sets read from, or just written to, the provider. Returns what it refused.
  std::vector<records::problem> fold(const std::vector<provider::rrset>& sets, std::int64_t now_ms);
  /// Every name a full read asks for: _meta, _vl, _t, _l, every _n and _p shard, every vlan's
  /// _m shards, and the _k of every node.
  std::vector<provider::rrset> everything() const;
  /// Whether a full read has been folded (before that, the view says nothing).
  bool ready() const noexcept { return _ready; }
  void mark_ready() noexcept { _ready = true; }
  /// Grows with every fold: an answer rendered at one version is current until it moves.
  std::uint64_t version() const noexcept { return _version; }

  const records::node_record* node(const crypto::public_key& pk) const { return view.find_node(pk); }
  /// The nodes, or registrations, whose id10 is `id10`: more than one only when two keys share
  /// their first 40 bits, which registration refuses.
  std::vector<const records::node_record*> nodes_with_id(std::string_view id10) const;
  std::vector<const registration*> pending_with_id(std::string_view id10) const;
  const registration* pending_of(const crypto::public_key& pk) const;
  std::size_t pending_count() const;
  const records::vlan_record* vlan(std::uint32_t vni) const;
  /// The members of vlan `vni` in every shard.
  std::vector<const records::member_record*> members_of(std::uint32_t vni) const;
  /// A set as the view holds it (null: not held).
  const records::set_view<records::node_record>* node_shard(const std::string& shard) const;
  const records::set_view<records::member_record>* member_shard(std::uint32_t vni, const std::string& shard) const;

  /// <state>/scout.json: the pins and the replay memory. Missing: the scout pins itself alone.
  rt::task<rt::result<void>> load(std::string state_dir);
  /// Writes scout.json when the pins or the memory moved since the last save.
  rt::task<rt::result<void>> save(std::string state_dir);

 private:
  void fold_pending(const std::string& owner, const std::string& shard, const std::vector<std::string>& texts,
                    std::int64_t now_ms, std::vector<records::problem>& problems);

  const records::names& _n;
  const crypto::identity& _scout;
  bool _ready = false;
  std::uint64_t _version = 0;
  std::uint64_t _saved_generation = ~std::uint64_t{0};
  std::vector<crypto::public_key> _saved_pins;
};

}  // namespace brood::api
