// Owner names of brood's records (docs/records.md §3) and the shard a member's key falls in.
#pragma once

#include <brood/crypto/identity.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace brood::records {

/// The record names under one brood domain. `domain` is kept lower case without a trailing dot.
class names {
 public:
  explicit names(std::string_view domain);
  const std::string& domain() const noexcept { return _domain; }

  std::string meta() const { return "_meta." + _domain; }
  std::string node_shard(std::string_view shard) const { return "_n." + std::string(shard) + "." + _domain; }
  std::string pending_shard(std::string_view shard) const { return "_p." + std::string(shard) + "." + _domain; }
  std::string key(std::string_view id10) const { return "_k." + std::string(id10) + "._n." + _domain; }
  std::string vlans() const { return "_vl." + _domain; }
  std::string member_shard(std::string_view shard, std::uint32_t vni) const {
    return "_m." + std::string(shard) + "." + std::to_string(vni) + "." + _domain;
  }
  std::string trails() const { return "_t." + _domain; }
  std::string liveness() const { return "_l." + _domain; }
  std::string scouts_srv() const { return "_brood._tcp." + _domain; }
  std::string scout_host(std::string_view id10) const { return std::string(id10) + "." + _domain; }
  std::string lease() const { return "_lock." + _domain; }

  /// What an owner name under this domain is, with the shard, vni or id10 it names.
  struct owner_kind {
    /// In the order a read folds them: _meta says who signs and how many shards there are, a
    /// vlan is known before its members.
    enum kind_t { meta, node_shard, vlans, member_shard, trails, liveness, pending_shard, key, other } kind = other;
    std::string shard;
    std::uint32_t vni = 0;
    std::string id10;
  };
  owner_kind classify(std::string_view owner) const;

 private:
  std::string _domain;
};

/// The shard of a member with key `pk`: the first hex digit of its id10 (16 shards) or the
/// first two (256 shards).
std::string shard_of(const crypto::public_key& pk, unsigned shards);
/// The shard of the member whose id10 is `id10`.
std::string shard_of_id(std::string_view id10, unsigned shards);
/// Every shard label for `shards` (16 or 256), in order.
std::vector<std::string> all_shards(unsigned shards);

}  // namespace brood::records
