// certificate: what a scout needs to know of the certificate it serves — when it is valid,
// which names it covers, whether it goes with its key — and when to renew it (two thirds of
// its lifetime, Let's Encrypt's own advice and certbot's default for 90-day certificates).
// Pure: PEM in, facts out; the files are the keeper's (certificate_keeper.hpp).
#pragma once

#include <brood/rt/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace brood::scout {

struct certificate_info {
  std::int64_t not_before_ms = 0, not_after_ms = 0;  // milliseconds since the epoch
  std::vector<std::string> dns_names;                // subjectAltName dNSName entries, lower case
  std::string serial;                                // hex, for logs and status
};

/// The leaf (first certificate) of a PEM chain. std::errc::bad_message when it is not one.
rt::result<certificate_info> inspect_certificate(std::string_view chain_pem);
/// Whether the leaf of `chain_pem` carries the public key of `key_pem` (PKCS#8 or SEC 1).
bool certificate_matches_key(std::string_view chain_pem, std::string_view key_pem);

/// When a certificate should be renewed: two thirds into its lifetime.
std::int64_t renewal_time_ms(const certificate_info& c) noexcept;
/// Whether every one of `names` is among the certificate's names (exactly, no wildcards).
bool covers(const certificate_info& c, const std::vector<std::string>& names);

}  // namespace brood::scout
