// The overlay address of a node (docs/records.md §5): derived from its key's hash inside the
// brood's subnet, with a deterministic rule for collisions, so that any scout approving the
// same node into the same brood picks the same address.
#pragma once

#include <brood/crypto/identity.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace brood::records {

/// The first candidate address for `pk` in `subnet` (IPv4 CIDR, /8../30) for which `taken`
/// is false. Candidates 0..63 come from the hash; after those, the addresses following
/// candidate 0 in order, wrapping. std::errc::address_not_available when every host address
/// is taken; std::errc::invalid_argument for a bad subnet.
rt::result<std::string> overlay_ip(const crypto::public_key& pk, std::string_view subnet,
                                   const std::function<bool(std::string_view ip)>& taken);

/// Candidate `i` alone (golden vectors, tests).
rt::result<std::string> overlay_candidate(const crypto::public_key& pk, std::string_view subnet, std::uint32_t i);

}  // namespace brood::records
