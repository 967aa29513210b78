// scout settings: what a scout is configured with (SPEC §2), read from the environment once
// and checked at start with a message naming the variable; shared by `brood-api` (the
// standalone API) and `brood-agent` (bootstrap, and the API on the agent's own reactor), so
// that both read one set of variables one way. Also the provider those settings name.
//
//   BROOD_DOMAIN (required)           BROOD_API_TOKEN (required to serve, 24 characters or more)
//   BROOD_STATE_DIR (/var/lib/brood)  node.key, brood.key, scout.json, tls.crt, tls.key,
//                                     acme-account.key live here
//   BROOD_API_PORT (8443)             BROOD_API_LISTEN (0.0.0.0)
//   BROOD_TLS_CERT, BROOD_TLS_KEY     an operator's own certificate files, followed when they
//                                     change; unset: the scout keeps <state>/tls.crt by ACME
//   BROOD_ACME_DIRECTORY              (Let's Encrypt production) the ACME server
//   BROOD_ACME_EMAIL                  the ACME account's contact (none by default)
//   BROOD_ACME_DNS_SERVERS            ip:port[,...] where a DNS-01 TXT must be visible before
//                                     it is answered (default: the RFC 2136 server, or the
//                                     zone's own name servers)
//   BROOD_ACME_DNS_WAIT (120s)        how long a DNS-01 TXT may take to show on those servers
//   BROOD_ACME_RETRY (60s)            the first wait after a failed issuance (doubling to 6h,
//                                     or what the CA's Retry-After says)
//   BROOD_CA_FILE                     extra trust anchors (labs: the ACME server's)
//   BROOD_API_RATE (20), BROOD_API_BURST (100)  requests per second and burst per client
//                                     address (429 past them); a rate of 0 turns every limit off,
//                                     the registrations' too (benchmarks only)
//   BROOD_API_MAX_CONNECTIONS (4096), BROOD_API_MAX_CONNECTIONS_PER_CLIENT (256)
//   BROOD_API_REFRESH (10s)           how often the brood is read whole from the provider
//   BROOD_CLOCK_OFFSET (0s)           labs and tests only: moves this scout's wall clock
//   BROOD_PROVIDER (cloudflare | rfc2136)
//     cloudflare: BROOD_CF_TOKEN, BROOD_CF_ZONE_ID (required), BROOD_CF_API (Cloudflare's URL)
//     rfc2136:    BROOD_RFC2136_SERVER (ip:port, required), BROOD_RFC2136_ZONE (BROOD_DOMAIN),
//                 BROOD_TSIG_KEY (name:base64-secret, hmac-sha256, required)
//   bootstrap:    BROOD_ASN (required), BROOD_SUBNET (required, IPv4 CIDR),
//                 BROOD_KEEPALIVE (30s), BROOD_STALE_AFTER (90s), BROOD_API_ADDRESS (the
//                 scout's public IP; unset: STUN finds it, or for `brood-api bootstrap` the
//                 scout is no member), BROOD_WG_PORT (51820)
#pragma once

#include <brood/provider/provider.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace brood::provider {
class cloudflare_provider;
}

namespace brood::scout {

struct settings {
  std::string domain, token, state_dir, listen, provider;
  /// <state>/brood.key: where a scout keeps the brood key (its API rewrites it on rotation).
  std::string brood_key_file;
  std::uint16_t port = 8443;
  /// The certificate and key served; `acme`: kept by the scout itself (else an operator's).
  std::string cert, key;
  bool acme = true;
  std::string acme_directory, acme_email, ca_file;
  std::vector<std::string> acme_dns_servers;  // ip:port
  std::chrono::milliseconds acme_dns_wait{120'000}, acme_retry{60'000};
  std::string cf_token, cf_zone, cf_api;
  std::string rfc_server, rfc_zone, tsig;
  std::uint32_t asn = 0;
  std::string subnet;
  std::uint32_t keepalive = 30, stale = 90;
  std::int64_t rate = 20, burst = 100;
  std::size_t max_connections = 4096, max_connections_per_client = 256;
  std::chrono::milliseconds refresh{10'000};
  std::int64_t clock_offset_ms = 0;
  std::string address;
  std::uint16_t wg_port = 51820;
};

/// What the caller is about to do, for which variables are required.
struct needs {
  bool serve = true;      // BROOD_API_TOKEN
  bool bootstrap = false; // BROOD_ASN, BROOD_SUBNET
};

/// The settings from the environment, or the first problem ("BROOD_X: ...") in `why`.
std::optional<settings> settings_from_env(needs what, std::string* why);

/// The provider the settings name. For Cloudflare, `*cf` is its client, which must be closed
/// (co_await cf->close()) before the reactor ends; otherwise null. Null when it cannot be made.
std::unique_ptr<provider::provider> make_provider(const settings& s, provider::cloudflare_provider** cf);

}  // namespace brood::scout
