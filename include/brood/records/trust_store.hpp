// trust_store: what a reader trusts and remembers between reads (docs/records.md §1, §4) —
// the pinned scout keys, the brood_key ring, and the highest ts (and kv) accepted per record
// identity, which is what makes a replayed old record fail. The pins and that memory are
// persisted by their owner (agent.json, the API's scout.json), so that a restarted reader
// refuses what it refused before.
// Lifetime: one per reader (a node, an API process), for as long as the process runs.
#pragma once

#include <brood/crypto/box.hpp>
#include <brood/records/fields.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace brood::records {

class trust_store {
 public:
  /// The pinned scouts. Empty before a node is admitted: records then count when signed by a
  /// scout that the current _meta lists (trust on first use, SPEC §3).
  std::vector<crypto::public_key> scouts;
  /// brood_keys to open boxes with, newest first (two during a rotation).
  std::vector<crypto::secret_key> keys;
  /// Whether a node record whose endpoints no key here opens still counts (sealed, with the
  /// endpoints held before): a node behind on the brood_key then still sees removals. A writer
  /// (a scout) leaves it off: it must never carry a record it cannot read.
  bool accept_sealed = false;

  /// Refuses `value` (a ts, or a kv under its own identity) below the highest accepted for
  /// `identity`, otherwise remembers it. An equal value is the same record read again.
  result<void> admit(const std::string& identity, std::int64_t value);
  /// The highest value accepted for `identity`, 0 if none.
  std::int64_t highest(const std::string& identity) const noexcept;

  /// The replay memory to persist: identity → highest value, without the liveness identities
  /// (a per-process `_l` identity is new at every API start, and a replayed `_l` is stale
  /// evidence, which excludes nobody).
  std::map<std::string, std::int64_t> memory() const;
  /// Takes persisted memory back (kept where it is higher than what is held).
  void restore(const std::map<std::string, std::int64_t>& m);
  /// Grows whenever a remembered value rises: the owner persists when it moved.
  std::uint64_t generation() const noexcept { return _generation; }

  /// Whether `text` is the record last verified under `owner` by one of `signers`, so that its
  /// signature need not be checked again (a steady-state sync re-reads the same headers).
  bool verified_before(const std::string& owner, std::string_view text,
                       const std::vector<crypto::public_key>& signers) const;
  void remember_verified(const std::string& owner, std::string text, const std::vector<crypto::public_key>& signers);
  /// Whether `text` failed to decode under `owner` against `signers` before: each forgery costs
  /// one signature check, however often it is served. Keyed by BLAKE2b of all three (a valid
  /// record copied to another name fails there, and must not be refused where it belongs); the
  /// last max_refused_per_owner of each owner are remembered — as many as one answer holds, so
  /// forgeries under one name cannot push out another's.
  bool refused_before(const std::string& owner, std::string_view text,
                      const std::vector<crypto::public_key>& signers) const;
  void remember_refused(const std::string& owner, std::string_view text,
                        const std::vector<crypto::public_key>& signers);
  static constexpr std::size_t max_refused_per_owner = 512;
  static constexpr std::size_t max_refusing_owners = 1024;

 private:
  struct verified {
    std::string text;
    std::vector<crypto::public_key> signers;
  };
  std::unordered_map<std::string, std::int64_t> _highest;
  std::unordered_map<std::string, verified> _verified;
  struct refused {
    std::deque<std::string> order;
    std::unordered_set<std::string> keys;
  };
  std::unordered_map<std::string, refused> _refused;
  std::uint64_t _generation = 0;
};

}  // namespace brood::records
