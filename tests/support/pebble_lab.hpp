// pebble_lab: Let's Encrypt's test CA (Debian's pebble) on loopback, validating DNS-01 against
// a dns_lab's knotd, its HTTPS front signed by the lab's own CA. PEBBLE_VA_NOSLEEP: no random
// pause of up to 15 s before each validation; pebble's default of refusing 5 % of nonces stays,
// so every client here meets badNonce for real. `validity`: the seconds an issued certificate
// lasts (0: pebble's default of five years), for renewal tests.
#pragma once

#include "support/dns_lab.hpp"
#include "support/peer_process.hpp"

#include <brood/http/h2_client.hpp>
#include <brood/tls/tls_context.hpp>

#include <cstdlib>
#include <fstream>
#include <string>

namespace brood::test {

struct pebble_lab {
  dns_lab dns;
  test_pki::leaf wfe = dns.pki.issue("pebble", {"DNS:localhost", "IP:127.0.0.1"});
  std::uint16_t port = free_port(), mgmt_port = free_port();
  unsigned validity = 0;
  peer_process pebble;

  explicit pebble_lab(const std::string& tsig_secret = "", unsigned validity_seconds = 0)
      : dns("", tsig_secret), validity(validity_seconds) {}

  rt::task<bool> start() {
    if (!co_await dns.start()) co_return false;
    const std::string config = dns.dir + "/pebble.json";
    std::ofstream(config) << "{\"pebble\":{\"listenAddress\":\"127.0.0.1:" << port << "\",\"managementListenAddress\":\"127.0.0.1:"
                          << mgmt_port << "\",\"certificate\":\"" << wfe.cert_file << "\",\"privateKey\":\"" << wfe.key_file
                          << "\",\"httpPort\":" << free_port() << ",\"tlsPort\":" << free_port()
                          << (validity ? ",\"certificateValidityPeriod\":" + std::to_string(validity) : std::string())
                          << ",\"ocspResponderURL\":\"\",\"externalAccountBindingRequired\":false}}";
    std::vector<std::string> argv{"env", "PEBBLE_VA_NOSLEEP=1", "pebble", "-config", config, "-dnsserver",
                                  "127.0.0.1:" + std::to_string(dns.knot_port)};
    co_return co_await pebble.start(argv, port);
  }
  rt::task<void> stop() {
    co_await pebble.stop();
    co_await dns.stop();
  }
  std::string directory() const { return "https://localhost:" + std::to_string(port) + "/dir"; }
  /// An HTTP client that trusts pebble's front (the lab's CA).
  http::client_options trusting() const {
    http::client_options o;
    tls::client_options t;
    t.ca_file = dns.pki.ca_file();
    t.system_trust = false;
    o.tls = *tls::context::client(t);
    return o;
  }
  /// A shell command run in the lab's directory; its exit status.
  int sh(const std::string& command) const { return std::system(("cd " + dns.dir + " && " + command).c_str()); }
  /// pebble's root of this run (new at each start) in `file` below the lab's directory.
  bool fetch_root(const std::string& file) const {
    return sh("curl -sfk https://127.0.0.1:" + std::to_string(mgmt_port) + "/roots/0 > " + file) == 0;
  }
};

}  // namespace brood::test
