// dns_lab: knotd (authoritative for brood.test) behind two DoH servers — unbound without a
// cache and dnsdist — in a temp directory, on loopback ports. Tests fill the zone and can
// replace its content while everything runs (knotc zone-reload, blocking). With a TSIG secret the
// zone also takes RFC 2136 updates signed with the key `brood-update` (hmac-sha256).
#pragma once

#include "support/peer_process.hpp"
#include "support/test_pki.hpp"

#include <brood/dns/doh_client.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace brood::test {

struct dns_lab {
  std::string dir;
  test_pki pki;
  test_pki::leaf leaf = pki.issue("unbound", {"DNS:localhost", "DNS:doh.brood.test", "IP:127.0.0.1"});
  std::uint16_t knot_port = free_port(), doh_port = free_port(), dnsdist_port = free_port(),
                dnsdist_dns_port = free_port();
  peer_process knot, unbound, dnsdist;
  unsigned serial = 1;

  /// `zone`: master-file lines added to the zone's SOA, NS and ns1 records. `tsig_secret`:
  /// base64 of the update key's secret, or empty for a read-only zone.
  explicit dns_lab(const std::string& zone = "", const std::string& tsig_secret = "") {
    char t[] = "/tmp/brood-dnslab-XXXXXX";
    dir = ::mkdtemp(t);
    std::filesystem::create_directories(dir + "/knot/run");
    std::filesystem::create_directories(dir + "/knot/db");
    std::ofstream(dir + "/knot/knot.conf")
        << "server:\n  rundir: \"" << dir << "/knot/run\"\n  user: root:root\n  listen: 127.0.0.1@" << knot_port
        << "\n  udp-workers: 1\n  tcp-workers: 1\n  background-workers: 1\n"
        << "control:\n  listen: \"" << dir << "/knot/run/knot.sock\"\n"
        << "database:\n  storage: \"" << dir << "/knot/db\"\n";
    if (!tsig_secret.empty())
      std::ofstream(dir + "/knot/knot.conf", std::ios::app)
          << "key:\n  - id: brood-update\n    algorithm: hmac-sha256\n    secret: " << tsig_secret << "\n"
          << "acl:\n  - id: brood-update\n    key: brood-update\n    action: update\n";
    std::ofstream(dir + "/knot/knot.conf", std::ios::app)
        << "zone:\n  - domain: brood.test\n    storage: \"" << dir << "/knot\"\n    file: brood.test.zone\n"
        << (tsig_secret.empty() ? "    zonefile-load: whole\n    journal-content: none\n"
                                : "    acl: brood-update\n    zonefile-sync: -1\n"
                                  "    zonefile-load: difference-no-serial\n    journal-content: all\n");
    write_zone(zone);
    std::ofstream(dir + "/unbound.conf")
        << "server:\n  username: \"\"\n  chroot: \"\"\n  directory: \"" << dir << "\"\n  use-syslog: no\n"
        << "  logfile: \"\"\n  do-daemonize: no\n  do-ip6: no\n  num-threads: 1\n"
        << "  interface: 127.0.0.1@" << doh_port << "\n  https-port: " << doh_port << "\n"
        << "  http-endpoint: \"/dns-query\"\n  tls-service-key: \"" << leaf.key_file << "\"\n"
        << "  tls-service-pem: \"" << leaf.cert_file << "\"\n  access-control: 127.0.0.0/8 allow\n"
        << "  do-not-query-localhost: no\n  module-config: \"iterator\"\n  cache-max-ttl: 0\n"
        << "  cache-max-negative-ttl: 0\n  local-zone: \"test.\" nodefault\n"
        << "stub-zone:\n  name: \"brood.test\"\n  stub-addr: 127.0.0.1@" << knot_port << "\n";
    std::ofstream(dir + "/dnsdist.conf")
        << "setSecurityPollSuffix(\"\")\nsetLocal(\"127.0.0.1:" << dnsdist_dns_port << "\")\n"
        << "addDOHLocal(\"127.0.0.1:" << dnsdist_port << "\", \"" << leaf.cert_file << "\", \"" << leaf.key_file
        << "\", \"/dns-query\")\n"
        << "newServer({address=\"127.0.0.1:" << knot_port << "\", name=\"knot\"})\n";
  }
  ~dns_lab() { std::filesystem::remove_all(dir); }

  void write_zone(const std::string& zone) {
    std::ofstream(dir + "/knot/brood.test.zone")
        << "$ORIGIN brood.test.\n$TTL 60\n@ SOA ns1 hostmaster " << serial << " 3600 600 86400 5\n@ NS ns1\n"
        << "ns1 A 127.0.0.1\n" << zone;
  }

  rt::task<bool> start() {
    std::vector<std::string> k{"knotd", "-c", dir + "/knot/knot.conf"};
    bool ok = co_await knot.start(k, knot_port);
    if (!ok) co_return false;
    std::vector<std::string> u{"unbound", "-d", "-c", dir + "/unbound.conf"};
    ok = co_await unbound.start(u, doh_port);
    if (!ok) co_return false;
    std::vector<std::string> d{"dnsdist", "--supervised", "--disable-syslog", "-C", dir + "/dnsdist.conf"};
    co_return co_await dnsdist.start(d, dnsdist_port);
  }

  /// Replaces the zone's records with `zone` (a higher serial) and waits until knotd serves it.
  rt::task<bool> replace_zone(const std::string& zone) {
    ++serial;
    write_zone(zone);
    rt::process_options o;
    o.in = o.out = o.err = rt::process_options::stdio::null;
    std::vector<std::string> argv{"knotc", "-c", dir + "/knot/knot.conf", "-b", "zone-reload", "brood.test"};
    auto p = rt::process::spawn(argv, o);
    if (!p) co_return false;
    auto st = co_await p->wait();
    co_return st.has_value() && st->success();
  }

  rt::task<void> stop() {
    co_await dnsdist.stop();
    co_await unbound.stop();
    co_await knot.stop();
  }

  std::unique_ptr<dns::doh_client> client(bool get, bool via_dnsdist = false) {
    dns::doh_options o;
    o.url = "https://localhost:" + std::to_string(via_dnsdist ? dnsdist_port : doh_port) + "/dns-query";
    o.use_get = get;
    tls::client_options co;
    co.ca_file = pki.ca_file();
    o.tls = *tls::context::client(co);
    return std::move(*dns::doh_client::make(o));
  }
};

}  // namespace brood::test
