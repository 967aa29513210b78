// Records between and about scouts (docs/records.md §3): `t` (a trail to another brood) and
// `l` (a scout's aggregated liveness evidence, SPEC §5.5).
#pragma once

#include <brood/records/fields.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace brood::records {

struct trail_record {
  std::string remote;         // the other brood's domain
  std::string scout;          // the local scout's id10
  std::string ep;             // its WireGuard endpoint for the trail
  std::string overlay;        // the local end's tunnel address with its prefix
  std::uint32_t priority = 0; // equal → ECMP, lower → primary
  std::int64_t ts = 0;
  bool operator==(const trail_record&) const = default;
};
std::string encode(const trail_record& t, std::string_view owner, const crypto::identity& scout);
result<trail_record> decode_trail(std::string text, std::string_view owner, std::span<const crypto::public_key> scouts, signer_rule rule = signer_rule::scouts);

/// One scout's liveness evidence: the admitted nodes it has not heard from for `stale` seconds
/// at `ts`. A node is excluded only if every fresh scout record lists it (a node heartbeats to
/// one scout at a time), and nobody is excluded without fresh evidence. Rewritten when the list
/// changes and at least every 2 × keepalive seconds, so its age tells whether it is fresh. In
/// steady state the list is empty, which keeps the record small at any brood size.
struct liveness_record {
  std::string scout;              // the writing scout's id10
  std::vector<std::string> down;  // sorted id10s
  std::int64_t ts = 0;
  bool operator==(const liveness_record&) const = default;
};
std::string encode(const liveness_record& l, std::string_view owner, const crypto::identity& scout);
result<liveness_record> decode_liveness(std::string text, std::string_view owner,
                                        std::span<const crypto::public_key> scouts);

}  // namespace brood::records
