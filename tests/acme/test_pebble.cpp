// acme client against pebble (Let's Encrypt's test CA, with its default of refusing 5 % of
// nonces, so that badNonce is retried for real) validating DNS-01 against the lab's knotd: a
// certificate for two names issued, its chain verified by openssl against pebble's root and its
// key the one the CSR carried, every challenge TXT withdrawn afterwards; a publisher that writes
// nothing → the authorization goes invalid and the error says so, and nothing is left behind.
#include <brood/acme/client.hpp>
#include <brood/tls/tls_context.hpp>

#include "support/pebble_lab.hpp"
#include "support/rt_test.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>

using namespace brood;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(acme_pebble)

namespace {
/// `_acme-challenge` TXT records written into the lab's zone (a reload per change).
struct zone_publisher final : acme::dns01_publisher {
  test::dns_lab& lab;
  bool writes = true;  // false: claims to publish and writes nothing
  std::multimap<std::string, std::string> txt;
  unsigned published = 0, withdrawn = 0;
  explicit zone_publisher(test::dns_lab& l) : lab(l) {}

  rt::task<rt::result<void>> sync() {
    std::string zone;
    for (auto& [name, value] : txt) zone += "_acme-challenge." + name + ". 5 TXT \"" + value + "\"\n";
    const bool ok = co_await lab.replace_zone(zone);
    if (!ok) co_return std::errc::io_error;
    co_return rt::result<void>{};
  }
  rt::task<rt::result<void>> publish(std::string name, std::string value) override {
    ++published;
    if (writes) txt.emplace(std::move(name), std::move(value));
    co_return co_await sync();
  }
  rt::task<rt::result<void>> withdraw(std::string name, std::string value) override {
    ++withdrawn;
    for (auto it = txt.begin(); it != txt.end(); ++it)
      if (it->first == name && it->second == value) {
        txt.erase(it);
        break;
      }
    co_return co_await sync();
  }
};

/// What both cases start from: pebble and knotd running, an HTTP client trusting pebble, an
/// account key and a certificate key, the client's options and the zone's publisher.
struct acme_case {
  test::pebble_lab lab;
  std::optional<http::h2_client> http;  // made once pebble's CA file exists
  rt::result<acme::ec_key> account = acme::ec_key::generate(), key = acme::ec_key::generate();
  acme::client_options options;
  zone_publisher dns{lab.dns};

  rt::task<void> start() {
    if (::access("/usr/bin/pebble", X_OK) != 0) BROOD_SKIP("needs pebble (tools/deps peers)");
    BOOST_REQUIRE_MESSAGE(co_await lab.start(), "knotd or pebble did not start");
    BOOST_REQUIRE((account && key));
    http.emplace(lab.trusting());
    options.directory_url = lab.directory();
    options.poll_interval = 200ms;
  }
};
}  // namespace

static rt::task<void> issued() {
  acme_case t;
  co_await t.start();
  t.options.contact = "ops@brood.test";
  acme::client c(*t.http, t.options, *t.account);
  const auto start = rt::clock::now();
  std::vector<std::string> names{"brood.test", "a1b2c3d4e5.brood.test"};
  auto chain = co_await c.issue(names, *t.key, t.dns, rt::clock::now() + 60s);
  BOOST_REQUIRE_MESSAGE(chain.has_value(), chain.error().message() << ": " << c.last_error());
  BOOST_TEST_MESSAGE("issued in " << std::chrono::duration_cast<std::chrono::milliseconds>(rt::clock::now() - start).count()
                                  << " ms");
  BOOST_TEST(c.account_url().rfind("https://localhost:", 0) == 0u);
  BOOST_TEST(t.dns.published == 2u);
  BOOST_TEST(t.dns.withdrawn == 2u);
  BOOST_TEST(t.dns.txt.empty());

  // openssl: the leaf names both, carries the CSR's key, and chains to pebble's root.
  std::ofstream(t.lab.dns.dir + "/chain.pem") << *chain;
  std::ofstream(t.lab.dns.dir + "/key.pem") << t.key->to_pem();
  BOOST_REQUIRE(t.lab.fetch_root("root.pem"));
  BOOST_TEST(t.lab.sh("openssl x509 -in chain.pem -noout -ext subjectAltName | grep -q 'DNS:brood.test, DNS:a1b2c3d4e5.brood.test'") == 0);
  BOOST_TEST(t.lab.sh("[ \"$(openssl x509 -in chain.pem -noout -pubkey)\" = \"$(openssl pkey -in key.pem -pubout)\" ]") == 0);
  BOOST_TEST(t.lab.sh("openssl verify -CAfile root.pem -untrusted chain.pem chain.pem >/dev/null") == 0);

  // The same account again: newAccount finds it (200), and a second order is issued too.
  acme::client again(*t.http, t.options, *t.account);
  std::vector<std::string> one{"brood.test"};
  auto second = co_await again.issue(one, *t.key, t.dns, rt::clock::now() + 60s);
  BOOST_REQUIRE_MESSAGE(second.has_value(), again.last_error());
  BOOST_TEST(again.account_url() == c.account_url());
  co_await t.http->close();
}

static rt::task<void> challenge_never_visible() {
  acme_case t;
  co_await t.start();
  t.dns.writes = false;
  acme::client c(*t.http, t.options, *t.account);
  std::vector<std::string> names{"brood.test"};
  auto chain = co_await c.issue(names, *t.key, t.dns, rt::clock::now() + 60s);
  BOOST_REQUIRE(!chain.has_value());
  BOOST_TEST((chain.error() == std::errc::protocol_error), chain.error().message());
  BOOST_TEST(c.last_error().find("dns-01 invalid") != std::string::npos, c.last_error());
  BOOST_TEST(t.dns.withdrawn == t.dns.published);  // nothing is left half-written
  co_await t.http->close();
}

BROOD_RT_TEST(a_certificate_is_issued_through_dns01) { co_await issued(); }
BROOD_RT_TEST(a_challenge_never_visible_fails_the_order_and_says_so) { co_await challenge_never_visible(); }

BOOST_AUTO_TEST_SUITE_END()
