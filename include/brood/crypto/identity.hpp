// Node identity (SPEC §3): the Ed25519 key in node.key, the id10 derived from it, and the
// WireGuard (X25519) key pair derived from the same key.
//
// node.key holds the 32-byte Ed25519 seed as one line of standard base64. It is created on
// first use with mode 0600 and refused if group- or world-accessible (a key others can read is
// no longer a secret). Loading happens at start-up, before the reactor runs.
#pragma once

#include <brood/rt/result.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace brood::crypto {

using rt::result;

using public_key = std::array<std::uint8_t, 32>;  // Ed25519 public key (pk)
using x25519_key = std::array<std::uint8_t, 32>;
using signature = std::array<std::uint8_t, 64>;

/// The node id: the first 10 hex digits of sha256(pk).
std::string id10(const public_key& pk);
/// The WireGuard public key of the node whose Ed25519 key is `pk` (what peers compute from _n).
result<x25519_key> wireguard_public_key(const public_key& pk);

/// Standard base64 with padding (the form `wg` uses) and base64url without padding (records).
std::string base64(std::span<const std::uint8_t> bytes);
result<std::string> from_base64(std::string_view text);
std::string base64url(std::span<const std::uint8_t> bytes);
result<std::string> from_base64url(std::string_view text);

/// Ed25519 signature check of `message` by `pk`.
bool verify(const public_key& pk, std::span<const std::uint8_t> message, const signature& sig) noexcept;

class identity {
 public:
  /// Reads `path`, or creates it (mode 0600, parent directory 0700 if missing). Errors:
  /// permission_denied if the file is readable by group or others, invalid_argument if it does
  /// not hold a base64 32-byte seed.
  static result<identity> load_or_create(const std::string& path);
  /// An identity from a known seed (tests, golden vectors).
  static identity from_seed(const std::array<std::uint8_t, 32>& seed);

  identity(const identity&) = delete;
  identity(identity&& o) noexcept;
  identity& operator=(identity&& o) noexcept;
  ~identity();  // wipes the secret key

  const public_key& pk() const noexcept { return _pk; }
  std::string id10() const { return crypto::id10(_pk); }
  signature sign(std::span<const std::uint8_t> message) const noexcept;

  /// The WireGuard key pair derived from this key, base64 as `wg` prints it.
  std::string wireguard_private_base64() const;
  std::string wireguard_public_base64() const;
  const x25519_key& x25519_public() const noexcept { return _xpk; }
  /// Opens a sealed box addressed to this node's X25519 key (its _k record).
  result<std::string> open_sealed(std::span<const std::uint8_t> box) const;

 private:
  identity() = default;
  std::array<std::uint8_t, 64> _sk{};  // libsodium's Ed25519 secret key (seed ‖ pk)
  public_key _pk{};
  x25519_key _xsk{}, _xpk{};
};

}  // namespace brood::crypto
