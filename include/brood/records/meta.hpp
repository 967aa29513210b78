// The `_meta` record (docs/records.md §3): the brood's parameters and its scout set.
#pragma once

#include <brood/records/fields.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace brood::records {

/// The bounds decode_meta holds `keepalive` and `stale` to (seconds): a scout must not be able
/// to make liveness spin (keepalive 0) or judge everyone down at once (stale 0).
inline constexpr std::uint32_t min_keepalive = 1, max_keepalive = 3600;
inline constexpr std::uint32_t max_stale = 86'400;  // and at least 2 × keepalive

struct meta_record {
  std::uint32_t asn = 0;
  std::string subnet;  // IPv4 CIDR, prefix 8..30
  std::string bgp = "rr";
  std::uint64_t kv = 0;
  std::uint32_t keepalive = 30;
  std::uint32_t stale = 90;
  std::uint32_t shards = 16;  // 16 or 256
  std::vector<crypto::public_key> scouts;
  std::int64_t ts = 0;  // ms since the epoch
};

/// The record's text, signed by `signer` (a scout).
std::string encode(const meta_record& m, std::string_view owner, const crypto::identity& signer);

/// Parses and verifies. `pinned`: the scout keys this node trusts; empty at a node's very first
/// read, when the record must be signed by one of the scouts it lists itself (SPEC §3).
result<meta_record> decode_meta(std::string text, std::string_view owner, const std::vector<crypto::public_key>& pinned);

}  // namespace brood::records
