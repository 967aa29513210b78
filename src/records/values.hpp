// Strict parsers and printers for the value forms records use (docs/records.md §1): decimal
// integers without leading zeros, base64url keys and blobs, IPv4/IPv6 addresses, CIDRs and
// endpoints, id10s, DNS names. Private to src/records.
#pragma once

#include <brood/crypto/box.hpp>
#include <brood/rt/result.hpp>

#include <charconv>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace brood::records::values {

template <class T>
bool parse_uint(std::string_view s, T& out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

inline bool parse_ts(std::string_view s, std::int64_t& out) { return parse_uint(s, out) && out > 0; }

std::optional<crypto::public_key> parse_key(std::string_view b64url);
std::string join_keys(const std::vector<crypto::public_key>& keys);
/// Comma-separated keys, at least one, no empty item.
std::optional<std::vector<crypto::public_key>> parse_keys(std::string_view list);

/// Address family of a textual IP (4 or 6), 0 if it is neither.
int ip_family(std::string_view ip);
/// `addr/prefix`; v4 prefixes in [min_v4, 32], v6 in [min_v6, 128]. The address must be the
/// network address (no host bits set).
bool cidr_ok(std::string_view s, bool allow_v6, unsigned min_v4 = 0, unsigned min_v6 = 0);
/// An interface address with its prefix (`169.254.77.1/30`): host bits allowed.
bool interface_address_ok(std::string_view s);
/// Whether `ip` lies inside `cidr` (both already valid, same family).
bool cidr_contains(std::string_view cidr, std::string_view ip);
/// `1.2.3.4:51820` or `[2001:db8::1]:51820`, port 1..65535.
bool endpoint_ok(std::string_view s);
bool id10_ok(std::string_view s);
/// An API process's liveness identity: 16 lower-case hex digits.
bool proc_ok(std::string_view s);
/// A DNS name of letters, digits, hyphens and dots, ≤ 253 characters.
bool domain_ok(std::string_view s);

/// base64url(secretbox(key, plaintext)), and its inverse trying each key of a ring in turn.
std::string seal(const crypto::secret_key& key, std::string_view plaintext);
rt::result<std::string> open(std::span<const crypto::secret_key> keys, std::string_view b64url);

/// A key as records carry it (base64url), also the replay memory's identity of member records.
inline std::string pk_text(const crypto::public_key& pk) { return crypto::base64url(pk); }

}  // namespace brood::records::values
