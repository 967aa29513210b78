// The records about nodes (docs/records.md §3): `n` (an admitted node, endpoints encrypted
// with the brood_key), `p` (a pending registration, signed by the node itself) and `k` (the
// brood_key sealed to one node).
#pragma once

#include <brood/crypto/box.hpp>
#include <brood/records/fields.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace brood::records {

/// The brood_keys a reader can open boxes with: the current one first, then the previous one
/// while a rotation is under way.
using keyring = std::span<const crypto::secret_key>;

/// Up to 8 WireGuard endpoints, `1.2.3.4:51820` or `[2001:db8::1]:51820`, as the JSON array
/// that `ep=` carries (encrypted in `n`, plain in `p`).
std::string endpoints_json(const std::vector<std::string>& endpoints);
result<std::vector<std::string>> parse_endpoints_json(std::string_view json);

struct node_record {
  crypto::public_key pk{};
  std::string role = "worker";  // worker | scout
  std::string ip;               // overlay address, inside _meta's subnet
  std::vector<std::string> endpoints;
  std::int64_t ts = 0;
  /// Decoded without its endpoints: `ep=` is boxed under a brood_key the reader does not hold
  /// (yet). Everything else in the record is plain text under the signature, so a reader that
  /// is behind on the key still knows who is a member.
  bool sealed = false;
  bool operator==(const node_record&) const = default;
};
std::string encode(const node_record& n, std::string_view owner, const crypto::secret_key& key,
                   const crypto::identity& scout);
/// `allow_sealed`: a box no key of `keys` opens gives a sealed record instead of cannot_decrypt.
result<node_record> decode_node(std::string text, std::string_view owner, std::span<const crypto::public_key> scouts,
                                keyring keys, signer_rule rule = signer_rule::scouts, bool allow_sealed = false);

struct pending_record {
  crypto::public_key pk{};
  std::string host;  // [A-Za-z0-9.-], up to 63 characters
  std::vector<std::string> endpoints;
  std::int64_t ts = 0;
  bool operator==(const pending_record&) const = default;
};
/// Signed by the registering node (`self`, whose pk must equal p.pk).
std::string encode(const pending_record& p, std::string_view owner, const crypto::identity& self);
result<pending_record> decode_pending(std::string text, std::string_view owner);

struct key_record {
  std::uint64_t kv = 0;
  std::string box;  // crypto_box_seal(brood_key) to the node's X25519 key
  std::int64_t ts = 0;
};
/// Seals `key` to `node` (its Ed25519 pk) and signs the record; fails if `node` has no X25519
/// counterpart (not a valid Ed25519 point).
result<std::string> encode_key(std::uint64_t kv, const crypto::secret_key& key, const crypto::public_key& node,
                               std::int64_t ts, std::string_view owner, const crypto::identity& scout);
result<key_record> decode_key(std::string text, std::string_view owner, std::span<const crypto::public_key> scouts);
/// The brood_key in a verified _k record, opened with the node's own identity.
result<crypto::secret_key> open_key(const key_record& k, const crypto::identity& self);

}  // namespace brood::records
