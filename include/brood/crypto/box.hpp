// Symmetric and sealed boxes (libsodium): the brood_key's secretbox for endpoint and vlan data,
// and crypto_box_seal to a node's X25519 key for its _k record.
#pragma once

#include <brood/crypto/identity.hpp>

#include <array>
#include <span>
#include <string>

namespace brood::crypto {

using secret_key = std::array<std::uint8_t, 32>;  // brood_key

secret_key random_secret_key();
/// nonce (24 random bytes) ‖ XSalsa20-Poly1305 ciphertext.
std::string secretbox_seal(const secret_key& key, std::span<const std::uint8_t> plaintext);
/// The plaintext, or std::errc::bad_message if the box was not made with `key` or was altered.
result<std::string> secretbox_open(const secret_key& key, std::span<const std::uint8_t> box);
/// An anonymous box only the holder of `recipient`'s secret key can open.
std::string seal_to(const x25519_key& recipient, std::span<const std::uint8_t> plaintext);

inline std::span<const std::uint8_t> bytes_of(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace brood::crypto
