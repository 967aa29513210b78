// Records between and about scouts (docs/records.md §3): `t` (a trail to another brood), `l` (a
// scout's aggregated liveness evidence, SPEC §5.5) and `lk` (the lease that serialises changes
// across scouts and their API processes).
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

/// One API process's liveness evidence: the admitted nodes it has not heard from for `stale`
/// seconds at `ts`. Each process of a scout writes its own record (`proc`), because each hears
/// only the heartbeats sent to it. A node is excluded only if every trusted scout has fresh
/// records and every one of them lists it (a node heartbeats to one process at a time), and
/// nobody is excluded without fresh evidence. Rewritten when the list changes and at least every
/// 2 × keepalive seconds, so its age tells whether it is fresh. In steady state the list is
/// empty, which keeps the record small at any brood size.
struct liveness_record {
  std::string scout;              // the writing scout's id10
  std::string proc;               // the writing process: 16 lower-case hex digits
  std::vector<std::string> down;  // sorted id10s
  std::int64_t ts = 0;
  bool operator==(const liveness_record&) const = default;
};
std::string encode(const liveness_record& l, std::string_view owner, const crypto::identity& scout);
result<liveness_record> decode_liveness(std::string text, std::string_view owner,
                                        std::span<const crypto::public_key> scouts);

/// The lease one API process holds while it changes the brood (an approval, a vlan change, a
/// removal and its rotation): other processes and scouts wait until it is released or `until`
/// has passed. Written under the provider's read-modify-write; a provider without
/// prerequisites may briefly show two live ones, and then neither holds (api/lease.cpp).
struct lease_record {
  std::string holder;  // the scout's id10 (the signer's own)
  std::string proc;    // the API process: 16 lower-case hex digits
  std::string op;      // what it is doing: [a-z]+, for people (status, logs)
  std::int64_t until = 0;
  std::int64_t ts = 0;
  bool operator==(const lease_record&) const = default;
};
std::string encode(const lease_record& l, std::string_view owner, const crypto::identity& scout);
result<lease_record> decode_lease(std::string text, std::string_view owner, std::span<const crypto::public_key> scouts);

}  // namespace brood::records
