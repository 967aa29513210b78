// A scout's settings from the environment, and the provider they name.
#include <brood/scout/settings.hpp>

#include <brood/config/env.hpp>
#include <brood/crypto/box.hpp>
#include <brood/dns/canonical_name.hpp>
#include <brood/net/socket_address.hpp>
#include <brood/provider/cloudflare.hpp>
#include <brood/provider/rfc2136.hpp>
#include <brood/records/meta.hpp>


namespace brood::scout {

namespace {

bool is_ip(const std::string& a) {
  return net::socket_address::parse(a + ":1").has_value() || net::socket_address::parse("[" + a + "]:1").has_value();
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

std::optional<settings> settings_from_env(needs what, std::string* why) {
  config::env e;
  settings s;
  s.domain = dns::canonical_name(e.required("BROOD_DOMAIN"));
  if (what.serve) {
    s.token = e.required("BROOD_API_TOKEN");
    // The token is all that stands between the Internet and approving a node: no short ones
    // (online guessing is only rate-limited per client).
    if (!s.token.empty() && s.token.size() < 24)
      e.fail("BROOD_API_TOKEN", "at least 24 characters (for example: head -c 24 /dev/urandom | base64)");
  }
  s.state_dir = e.string("BROOD_STATE_DIR", "/var/lib/brood");
  s.brood_key_file = s.state_dir + "/brood.key";
  s.port = static_cast<std::uint16_t>(e.integer("BROOD_API_PORT", 8443, 1, 65535));
  s.listen = e.string("BROOD_API_LISTEN", "0.0.0.0");
  // Set means set and not empty, as everywhere else (an empty line in an env file is unset).
  const bool cert_set = e.get("BROOD_TLS_CERT").has_value(), key_set = e.get("BROOD_TLS_KEY").has_value();
  const bool own_cert = cert_set || key_set;
  if (cert_set != key_set)
    e.fail(cert_set ? "BROOD_TLS_KEY" : "BROOD_TLS_CERT",
           "set both BROOD_TLS_CERT and BROOD_TLS_KEY (an operator's certificate), or neither (ACME)");
  s.acme = !own_cert;
  s.cert = e.string("BROOD_TLS_CERT", s.state_dir + "/tls.crt");
  s.key = e.string("BROOD_TLS_KEY", s.state_dir + "/tls.key");
  s.acme_directory = e.string("BROOD_ACME_DIRECTORY", "https://acme-v02.api.letsencrypt.org/directory");
  if (!s.acme_directory.starts_with("https://")) e.fail("BROOD_ACME_DIRECTORY", "expected an https:// URL");
  s.acme_email = e.string("BROOD_ACME_EMAIL", "");
  if (!s.acme_email.empty() && (s.acme_email.find('@') == std::string::npos || s.acme_email.find_first_of(" ,<>") != std::string::npos))
    e.fail("BROOD_ACME_EMAIL", "expected one e-mail address");
  s.acme_dns_servers = split_list(e.string("BROOD_ACME_DNS_SERVERS", ""));
  for (auto& a : s.acme_dns_servers)
    if (!net::socket_address::parse(a)) e.fail("BROOD_ACME_DNS_SERVERS", "expected ip:port[,ip:port], got \"" + a + "\"");
  s.acme_dns_wait = e.duration("BROOD_ACME_DNS_WAIT", std::chrono::seconds(120));
  if (s.acme_dns_wait < std::chrono::seconds(1) || s.acme_dns_wait > std::chrono::hours(1))
    e.fail("BROOD_ACME_DNS_WAIT", "1s to 1h");
  s.acme_retry = e.duration("BROOD_ACME_RETRY", std::chrono::seconds(60));
  if (s.acme_retry < std::chrono::seconds(1) || s.acme_retry > std::chrono::hours(6)) e.fail("BROOD_ACME_RETRY", "1s to 6h");
  s.ca_file = e.string("BROOD_CA_FILE", "");
  s.rate = static_cast<std::int64_t>(e.integer("BROOD_API_RATE", 20, 0, 1'000'000));
  s.burst = static_cast<std::int64_t>(e.integer("BROOD_API_BURST", 100, 1, 1'000'000));
  s.max_connections = static_cast<std::size_t>(e.integer("BROOD_API_MAX_CONNECTIONS", 4096, 16, 1'000'000));
  s.max_connections_per_client =
      static_cast<std::size_t>(e.integer("BROOD_API_MAX_CONNECTIONS_PER_CLIENT", 256, 1, 1'000'000));
  s.refresh = e.duration("BROOD_API_REFRESH", std::chrono::seconds(10));
  if (s.refresh < std::chrono::seconds(1) || s.refresh > std::chrono::hours(1)) e.fail("BROOD_API_REFRESH", "1s to 1h");
  s.clock_offset_ms = e.offset("BROOD_CLOCK_OFFSET").count();
  s.provider = e.choice("BROOD_PROVIDER", "cloudflare", {"cloudflare", "rfc2136"});
  if (s.provider == "cloudflare") {
    s.cf_token = e.required("BROOD_CF_TOKEN");
    s.cf_zone = e.required("BROOD_CF_ZONE_ID");
    s.cf_api = e.string("BROOD_CF_API", "https://api.cloudflare.com/client/v4");
  } else {
    s.rfc_server = e.required("BROOD_RFC2136_SERVER");
    s.rfc_zone = e.string("BROOD_RFC2136_ZONE", s.domain);
    s.tsig = e.required("BROOD_TSIG_KEY");
    if (!s.rfc_server.empty() && !net::socket_address::parse(s.rfc_server))
      e.fail("BROOD_RFC2136_SERVER", "expected a numeric ip:port such as 127.0.0.1:53");
    if (!s.tsig.empty() && s.tsig.find(':') == std::string::npos) e.fail("BROOD_TSIG_KEY", "expected name:base64-secret");
    if (s.acme_dns_servers.empty() && !s.rfc_server.empty()) s.acme_dns_servers = {s.rfc_server};
  }
  s.address = e.string("BROOD_API_ADDRESS", "");
  if (!s.address.empty() && !is_ip(s.address)) e.fail("BROOD_API_ADDRESS", "expected an IPv4 or IPv6 address");
  s.wg_port = static_cast<std::uint16_t>(e.integer("BROOD_WG_PORT", 51820, 1, 65535));
  if (what.bootstrap) {
    if (!e.get("BROOD_ASN")) e.fail("BROOD_ASN", "must be set");
    s.asn = static_cast<std::uint32_t>(e.integer("BROOD_ASN", 0, 1, 4294967294));
    s.subnet = e.required("BROOD_SUBNET");
    s.keepalive = static_cast<std::uint32_t>(e.duration("BROOD_KEEPALIVE", std::chrono::seconds(30)).count() / 1000);
    s.stale = static_cast<std::uint32_t>(e.duration("BROOD_STALE_AFTER", std::chrono::seconds(90)).count() / 1000);
    if (s.keepalive < records::min_keepalive || s.keepalive > records::max_keepalive)
      e.fail("BROOD_KEEPALIVE", "1s to 1h");
    if (s.stale < 2 * s.keepalive || s.stale > records::max_stale)
      e.fail("BROOD_STALE_AFTER", "at least twice BROOD_KEEPALIVE, at most 24h");
  }
  if (!e.ok()) {
    if (why) *why = e.error();
    return std::nullopt;
  }
  return s;
}

std::unique_ptr<provider::provider> make_provider(const settings& s, provider::cloudflare_provider** cf) {
  *cf = nullptr;
  if (s.provider == "cloudflare") {
    provider::cloudflare_options o;
    o.api = s.cf_api;
    o.token = s.cf_token;
    o.zone_id = s.cf_zone;
    auto p = provider::cloudflare_provider::make(o);
    if (!p) return nullptr;
    *cf = p->get();
    return std::move(*p);
  }
  provider::rfc2136_options o;
  o.server = *net::socket_address::parse(s.rfc_server);
  o.zone = s.rfc_zone;
  auto colon = s.tsig.rfind(':');
  auto secret = crypto::from_base64(s.tsig.substr(colon + 1));
  if (!secret) return nullptr;
  // Accept knsupdate's "hmac-sha256:name:secret" as well as "name:secret".
  std::string name = s.tsig.substr(0, colon);
  if (name.starts_with("hmac-sha256:")) name = name.substr(12);
  o.key = {name, *secret};
  return std::make_unique<provider::rfc2136_provider>(o);
}

}  // namespace brood::scout
