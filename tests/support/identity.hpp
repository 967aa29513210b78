// Test support: node identities from fixed seeds, the same in every run.
#pragma once

#include <brood/crypto/identity.hpp>

#include <array>
#include <cstdint>

namespace brood::test {

/// The identity whose seed is 32 bytes of `b`.
inline crypto::identity identity_of(std::uint8_t b) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(b);
  return crypto::identity::from_seed(seed);
}

}  // namespace brood::test
