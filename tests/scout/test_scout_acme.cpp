// A scout's certificate by ACME, end to end: pebble (refusing 5 % of nonces) validating DNS-01
// against knotd, which the scout writes through the RFC 2136 provider — the brood's own. From
// nothing, scout::bootstrap makes the brood key, gets a certificate for the domain and the
// scout's own name, and writes the first records; run again, it changes nothing. A provider
// that refuses the key, or a challenge that never becomes visible, fails with the reason and
// leaves nothing behind (another order's challenge value kept); the same bootstrap then
// succeeds, and a second scout bootstrapping over it is refused. With certificates that last 15 s,
// the serving scout renews at two thirds: a connection opened before keeps working, a new one
// is handed the new certificate, and /status and /metrics say so.
#include <brood/crypto/box.hpp>
#include <brood/json/value.hpp>
#include <brood/rt/process.hpp>
#include <brood/scout/bootstrap.hpp>
#include <brood/scout/certificate.hpp>
#include <brood/scout/scout.hpp>

#include "api/api_lab.hpp"
#include "support/pebble_lab.hpp"
#include "support/scratch_dir.hpp"

#include <sys/stat.h>

#include <algorithm>

using namespace brood;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(scout_acme)

namespace {

const std::string tsig_b64 = crypto::base64(crypto::bytes_of(test::secret));

unsigned mode_of(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0;
}

struct scout_case {
  test::pebble_lab lab;
  test::scratch_dir state{"brood-scout"};
  std::unique_ptr<provider::rfc2136_provider> dns;
  rt::result<crypto::identity> id = crypto::identity::load_or_create(state.path("node.key"));
  scout::settings s;

  explicit scout_case(unsigned validity = 0) : lab(tsig_b64, validity) {}

  rt::task<void> start() {
    if (::access("/usr/bin/pebble", X_OK) != 0) BROOD_SKIP("needs pebble (tools/deps peers)");
    BOOST_REQUIRE_MESSAGE(co_await lab.start(), "knotd or pebble did not start");
    BOOST_REQUIRE(id.has_value());
    dns = test::lab_provider(lab.dns);
    s.domain = "brood.test";
    s.token = test::token;
    s.state_dir = state.dir;
    s.brood_key_file = state.path("brood.key");
    s.listen = "127.0.0.1";
    s.port = test::free_port();
    s.cert = state.path("tls.crt");
    s.key = state.path("tls.key");
    s.acme_directory = lab.directory();
    s.ca_file = lab.dns.pki.ca_file();
    s.acme_dns_servers = {"127.0.0.1:" + std::to_string(lab.dns.knot_port)};
    s.acme_dns_wait = 10s;
    s.acme_retry = 1s;
    s.provider = "rfc2136";
    s.rfc_server = s.acme_dns_servers[0];
    s.rfc_zone = "brood.test";
    s.asn = 65000;
    s.subnet = "10.77.0.0/16";
    s.rate = 0;
  }
  /// The values of (name, type) in the zone now.
  rt::task<std::vector<std::string>> zone(std::string name, provider::rr_type type) {
    auto r = co_await dns->get(std::move(name), type, nullptr);
    co_return r ? *r : std::vector<std::string>{};
  }
  /// Another scout's challenge value, there before anything runs: whatever this scout adds and
  /// takes out of the set, that one stays.
  rt::task<void> foreign_challenge() {
    std::vector<provider::rrset> sets{{"_acme-challenge.brood.test", provider::rr_type::txt, 60, {"another-order"}}};
    std::string why;
    auto w = co_await dns->apply(std::move(sets), &why);
    BOOST_REQUIRE_MESSAGE(w.has_value(), why);
  }
  /// The zone as it was before a failed bootstrap: only the other order's challenge value, no
  /// _meta, no address for the scout or the domain.
  rt::task<bool> zone_untouched() {
    auto a = co_await zone("_acme-challenge.brood.test", provider::rr_type::txt);
    auto b = co_await zone("_acme-challenge." + id->id10() + ".brood.test", provider::rr_type::txt);
    auto m = co_await zone("_meta.brood.test", provider::rr_type::txt);
    auto own = co_await zone(id->id10() + ".brood.test", provider::rr_type::a);
    auto apex = co_await zone("brood.test", provider::rr_type::a);
    const bool untouched = a == std::vector<std::string>{"another-order"} && b.empty() && m.empty() && own.empty() && apex.empty();
    co_return untouched;
  }
};

/// A serial as hex without leading zeros, lower case (openssl prints it upper case).
std::string strip_zeros(std::string hex) {
  std::transform(hex.begin(), hex.end(), hex.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto first = hex.find_first_not_of('0');
  return first == std::string::npos ? "0" : hex.substr(first);
}

/// The serial of the certificate a new TLS connection to 127.0.0.1:port is handed (openssl, as
/// a child process waited for on the ring: the server it asks runs on this thread).
rt::task<std::string> served_serial(const test::pebble_lab& lab, std::uint16_t port) {
  const std::string out = lab.dns.dir + "/served.txt";
  const std::vector<std::string> argv{"timeout", "10", "bash", "-c",
                                      "openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                                          " -servername brood.test </dev/null 2>/dev/null | openssl x509 -noout -serial > " + out};
  auto p = rt::process::spawn(argv);
  if (!p) co_return std::string{};
  (void)co_await p->wait();
  std::ifstream f(out);
  std::string line;
  std::getline(f, line);
  co_return line.starts_with("serial=") ? strip_zeros(line.substr(7)) : std::string{};
}

}  // namespace

static rt::task<void> bootstrap_twice() {
  scout_case t;
  co_await t.start();
  std::string why;
  auto first = co_await scout::bootstrap(t.s, *t.dns, *t.id, "192.0.2.10", &why);
  BOOST_REQUIRE_MESSAGE(first.has_value(), why);
  BOOST_TEST(first->key_created);
  BOOST_TEST(first->certificate_issued);
  BOOST_TEST(first->records_added > 0u);
  for (auto f : {"brood.key", "tls.key", "tls.crt", "acme-account.key"})
    BOOST_TEST(mode_of(t.state.path(f)) == 0600u, f);

  // The certificate: both names, its key the one beside it, chained to this pebble's root.
  const std::string chain = t.state.read("tls.crt");
  auto info = scout::inspect_certificate(chain);
  BOOST_REQUIRE(info.has_value());
  const std::vector<std::string> names{"brood.test", t.id->id10() + ".brood.test"};
  BOOST_TEST(scout::covers(*info, names));
  BOOST_TEST(scout::certificate_matches_key(chain, t.state.read("tls.key")));
  BOOST_REQUIRE(t.lab.fetch_root("root.pem"));
  BOOST_TEST(t.lab.sh("openssl verify -CAfile root.pem -untrusted " + t.s.cert + " " + t.s.cert + " >/dev/null") == 0);

  // The records the seed's operator lines need: the SRV, the scout's and the domain's A.
  auto srv = co_await t.zone("_brood._tcp.brood.test", provider::rr_type::srv);
  BOOST_TEST((srv == std::vector<std::string>{"0 100 " + std::to_string(t.s.port) + " " + names[1]}));
  auto apex = co_await t.zone("brood.test", provider::rr_type::a);
  BOOST_TEST((apex == std::vector<std::string>{"192.0.2.10"}));
  auto own = co_await t.zone(names[1], provider::rr_type::a);
  BOOST_TEST((own == std::vector<std::string>{"192.0.2.10"}));
  BOOST_TEST((co_await t.zone("_meta.brood.test", provider::rr_type::txt)).size() == 1u);
  auto challenge = co_await t.zone("_acme-challenge.brood.test", provider::rr_type::txt);
  BOOST_TEST(challenge.empty());  // withdrawn once the order ended
  auto own_challenge = co_await t.zone("_acme-challenge." + names[1], provider::rr_type::txt);
  BOOST_TEST(own_challenge.empty());

  // Again: nothing made, nothing issued, nothing written.
  auto second = co_await scout::bootstrap(t.s, *t.dns, *t.id, "192.0.2.10", &why);
  BOOST_REQUIRE_MESSAGE(second.has_value(), why);
  BOOST_TEST(!second->key_created);
  BOOST_TEST(!second->certificate_issued);
  BOOST_TEST(second->records_added == 0u);
  BOOST_TEST(second->records_removed == 0u);
  BOOST_TEST(t.state.read("tls.crt") == chain);
  co_await t.lab.stop();
}

static rt::task<void> refusals_leave_nothing() {
  scout_case t;
  co_await t.start();
  co_await t.foreign_challenge();
  std::string why;

  // The provider refuses the key (a TSIG secret that is not the zone's).
  provider::rfc2136_options wrong;
  wrong.server = net::socket_address::ipv4_loopback(t.lab.dns.knot_port);
  wrong.zone = "brood.test";
  wrong.key = {"brood-update", std::string(32, '\x44')};
  provider::rfc2136_provider refusing(wrong);
  auto refused = co_await scout::bootstrap(t.s, refusing, *t.id, "192.0.2.10", &why);
  BOOST_REQUIRE(!refused.has_value());
  BOOST_TEST(why.find("_acme-challenge.") != std::string::npos, why);
  BOOST_TEST(why.find("rfc2136") != std::string::npos, why);
  BOOST_TEST(!std::filesystem::exists(t.s.cert));
  BOOST_TEST(co_await t.zone_untouched());
  // The wait after a failure outlives the process: started again at once, the scout does not
  // ask the CA (Let's Encrypt counts failed validations per name and hour).
  BOOST_TEST(std::filesystem::exists(t.state.path("acme.retry")));
  why.clear();
  auto at_once = co_await scout::bootstrap(t.s, *t.dns, *t.id, "192.0.2.10", &why);
  BOOST_REQUIRE(!at_once.has_value());
  BOOST_TEST(why.find("the next attempt is in") != std::string::npos, why);
  std::filesystem::remove(t.state.path("acme.retry"));  // the wait over

  // The TXT is written but never visible where the CA would look (nobody answers there).
  auto unseen = t.s;
  unseen.acme_dns_servers = {"127.0.0.1:" + std::to_string(test::free_port())};
  unseen.acme_dns_wait = 2s;
  why.clear();
  auto invisible = co_await scout::bootstrap(unseen, *t.dns, *t.id, "192.0.2.10", &why);
  BOOST_REQUIRE(!invisible.has_value());
  BOOST_TEST(why.find("not visible") != std::string::npos, why);
  BOOST_TEST(!std::filesystem::exists(t.s.cert));
  BOOST_TEST(co_await t.zone_untouched());
  std::filesystem::remove(t.state.path("acme.retry"));

  // A CA that is not there.
  auto nowhere = t.s;
  nowhere.acme_directory = "https://localhost:" + std::to_string(test::free_port()) + "/dir";
  why.clear();
  auto no_ca = co_await scout::bootstrap(nowhere, *t.dns, *t.id, "192.0.2.10", &why);
  BOOST_REQUIRE(!no_ca.has_value());
  BOOST_TEST(why.find(nowhere.acme_directory) != std::string::npos, why);
  BOOST_TEST(co_await t.zone_untouched());
  std::filesystem::remove(t.state.path("acme.retry"));

  // Put right, the same bootstrap goes through (the brood key made by the first try is kept).
  const auto key_before = t.state.read("brood.key");
  auto fixed = co_await scout::bootstrap(t.s, *t.dns, *t.id, "192.0.2.10", &why);
  BOOST_REQUIRE_MESSAGE(fixed.has_value(), why);
  BOOST_TEST(!fixed->key_created);
  BOOST_TEST(fixed->certificate_issued);
  BOOST_TEST(t.state.read("brood.key") == key_before);
  auto left = co_await t.zone("_acme-challenge.brood.test", provider::rr_type::txt);
  BOOST_TEST((left == std::vector<std::string>{"another-order"}));  // the other order's value kept

  // Another scout's state dir, empty, bootstrapping the same domain: refused, nothing made.
  test::scratch_dir stranger_state{"brood-scout-stranger"};
  auto stranger = crypto::identity::load_or_create(stranger_state.path("node.key"));
  BOOST_REQUIRE(stranger.has_value());
  auto second_brood = t.s;
  second_brood.state_dir = stranger_state.dir;
  second_brood.brood_key_file = stranger_state.path("brood.key");
  second_brood.cert = stranger_state.path("tls.crt");
  second_brood.key = stranger_state.path("tls.key");
  why.clear();
  auto refused_brood = co_await scout::bootstrap(second_brood, *t.dns, *stranger, "192.0.2.11", &why);
  BOOST_REQUIRE(!refused_brood.has_value());
  BOOST_TEST(why.find("a brood already exists at brood.test") != std::string::npos, why);
  BOOST_TEST(!std::filesystem::exists(second_brood.brood_key_file));
  auto apex = co_await t.zone("brood.test", provider::rr_type::a);
  BOOST_TEST((apex == std::vector<std::string>{"192.0.2.10"}));
  co_await t.lab.stop();
}

static rt::task<void> renewal_reaches_new_connections() {
  scout_case t(15);  // certificates last 15 s: renewed after 10
  co_await t.start();
  std::string why;
  auto b = co_await scout::bootstrap(t.s, *t.dns, *t.id, "192.0.2.10", &why);
  BOOST_REQUIRE_MESSAGE(b.has_value(), why);
  auto first = scout::inspect_certificate(t.state.read("tls.crt"));
  BOOST_REQUIRE(first.has_value());
  BOOST_TEST(first->not_after_ms - first->not_before_ms <= 16'000);
  auto key = api::load_brood_key(t.state.path("brood.key"));
  BOOST_REQUIRE(key.has_value());

  scout::service svc(t.s, *t.dns, *t.id, *key);
  BOOST_REQUIRE_MESSAGE(co_await svc.start(&why), why);
  rt::task_scope serving{rt::no_parent};
  serving.spawn(svc.serve());

  BOOST_REQUIRE(t.lab.fetch_root("root.pem"));
  http::client_options co;
  tls::client_options to;
  to.ca_file = t.lab.dns.dir + "/root.pem";
  to.system_trust = false;
  co.tls = *tls::context::client(to);
  co.resolve = [](std::string, std::uint16_t port) -> rt::task<rt::result<net::socket_address>> {
    co_return net::socket_address::ipv4_loopback(port);
  };
  test::client c{http::h2_client(co), "brood.test:" + std::to_string(t.s.port)};
  auto before = co_await c.send("GET", "/healthz", "", nullptr, false);
  BOOST_TEST(before.status == 200);
  const std::string served_first = co_await served_serial(t.lab, t.s.port);
  BOOST_TEST(served_first == strip_zeros(first->serial));

  // The same connection, polled until the scout says it holds a new certificate.
  std::string serial;
  for (int i = 0; i < 60; ++i) {
    auto st = co_await c.send("GET", "/status", "", nullptr, true);
    BOOST_REQUIRE(st.status == 200);
    auto j = json::parse(st.body);
    BOOST_REQUIRE(j.has_value());
    auto* cert = j->find("certificate");
    BOOST_REQUIRE(cert != nullptr);
    const auto* held = cert->find("serial");
    serial = held && held->as_string() ? *held->as_string() : "";
    if (!serial.empty() && serial != first->serial) break;
    (void)co_await rt::sleep_for(500ms);
  }
  BOOST_TEST(serial != first->serial, "no renewal within 30 s");
  BOOST_TEST(c.http.stats().connections_opened == 1u);  // the old connection kept working
  const std::string served_now = co_await served_serial(t.lab, t.s.port);
  BOOST_TEST(served_now == strip_zeros(serial));
  auto metrics = co_await c.send("GET", "/metrics", "", nullptr, false);
  BOOST_TEST(metrics.body.find("brood_scout_certificate_issued_total 1") != std::string::npos, metrics.body);
  BOOST_TEST(metrics.body.find("brood_scout_certificate_failing 0") != std::string::npos);

  co_await c.http.close();
  svc.stop();
  co_await serving.join();
  co_await t.lab.stop();
}

BROOD_RT_TEST(bootstrap_from_nothing_then_again_changes_nothing) { co_await bootstrap_twice(); }
BROOD_RT_TEST(a_refusing_provider_an_unseen_challenge_or_no_ca_leave_nothing_behind) { co_await refusals_leave_nothing(); }
BROOD_RT_TEST(a_renewed_certificate_reaches_new_connections_and_old_ones_keep_working) {
  co_await renewal_reaches_new_connections();
}

BOOST_AUTO_TEST_SUITE_END()
