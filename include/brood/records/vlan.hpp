// The records of the L2 overlay (docs/records.md §3): `vl` (one per vlan, its subnet
// encrypted) and `m` (a node's membership and its IP in a vlan, encrypted).
#pragma once

#include <brood/records/node.hpp>

namespace brood::records {

inline constexpr std::uint32_t max_vni = 16'777'215;

struct vlan_record {
  std::uint32_t vni = 0;  // 1..16,777,215
  std::string name;       // [A-Za-z0-9_.-], 1..32 characters
  std::string subnet;     // IPv4 or IPv6 CIDR
  std::int64_t ts = 0;
  bool operator==(const vlan_record&) const = default;
};
std::string encode(const vlan_record& v, std::string_view owner, const crypto::secret_key& key,
                   const crypto::identity& scout);
result<vlan_record> decode_vlan(std::string text, std::string_view owner, std::span<const crypto::public_key> scouts,
                                keyring keys, signer_rule rule = signer_rule::scouts);

struct member_record {
  crypto::public_key pk{};
  std::string ip;  // the node's address in the vlan (no prefix: the vlan's subnet gives it)
  std::int64_t ts = 0;
  bool operator==(const member_record&) const = default;
};
std::string encode(const member_record& m, std::string_view owner, const crypto::secret_key& key,
                   const crypto::identity& scout);
result<member_record> decode_member(std::string text, std::string_view owner,
                                    std::span<const crypto::public_key> scouts, keyring keys, signer_rule rule = signer_rule::scouts);

}  // namespace brood::records
