// The DoH client against real unbound (DoH over TLS) in front of a real authoritative knotd
// that holds the test zone: multi-string TXT, several TXT records, SRV, NXDOMAIN vs NODATA,
// POST and GET, many queries on one connection.
#include "support/dns_lab.hpp"
#include "support/rt_test.hpp"

#include <brood/dns/doh_client.hpp>
#include <brood/dns/resolver.hpp>
#include <brood/net/udp.hpp>
#include <brood/rt/task_scope.hpp>

#include <set>

using namespace brood;
using namespace brood::rt;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(doh)

const std::string zone = "big TXT \"" + std::string(255, 'a') + "\" \"" + std::string(255, 'b') + "\" \"" +
                        std::string(255, 'c') + "\"\nmulti TXT \"one\" \"two\"\nmulti TXT \"three\"\n" +
                        "_brood._tcp SRV 0 100 8443 scout1.brood.test.\n_brood._tcp SRV 10 100 8443 scout2.brood.test.\n" +
                        "scout1 A 192.0.2.1\nscout1 AAAA 2001:db8::1\ndoh A 127.0.0.1\n";

static rt::task<void> ask_big(dns::doh_client* c, int* ok) {
  auto r = co_await c->txt("big.brood.test");
  if (r && r->size() == 1 && (*r)[0].text().size() == 765) ++*ok;
}

static rt::task<void> doh_case(bool get, bool via_dnsdist) {
  test::dns_lab lab(zone);
  bool started = co_await lab.start();
  if (!started) BROOD_SKIP("knotd, unbound or dnsdist did not start (packages knot, unbound, dnsdist)");
  auto c = lab.client(get, via_dnsdist);

  auto big = co_await c->txt("big.brood.test");
  BOOST_REQUIRE_MESSAGE(big.has_value(), big.error().message());
  BOOST_REQUIRE(big->size() == 1u);
  BOOST_TEST((*big)[0].strings.size() == 3u);
  BOOST_TEST((*big)[0].text() == std::string(255, 'a') + std::string(255, 'b') + std::string(255, 'c'));

  auto multi = co_await c->txt("multi.brood.test");
  BOOST_REQUIRE(multi.has_value());
  std::set<std::string> texts;
  for (auto& r : *multi) texts.insert(r.text());
  BOOST_TEST((texts == std::set<std::string>{"onetwo", "three"}));

  auto srv = co_await c->srv("_brood._tcp.brood.test");
  BOOST_REQUIRE(srv.has_value());
  BOOST_TEST(srv->size() == 2u);

  auto nx = co_await c->txt("nope.brood.test");
  BOOST_TEST((nx.error() == dns::error::nxdomain));
  auto nodata = co_await c->txt("scout1.brood.test");
  BOOST_TEST((nodata.error() == dns::error::nodata));

  int ok = 0;
  task_scope s{no_parent};
  for (int i = 0; i < 50; ++i) s.spawn(ask_big(c.get(), &ok));
  co_await s.join();
  BOOST_TEST(ok == 50);
  BOOST_TEST(c->stats().connections_opened == 1u);

  co_await c->close();
  co_await lab.stop();
}

BROOD_RT_TEST(doh_post_against_unbound_and_knot) { co_await doh_case(false, false); }
BROOD_RT_TEST(doh_get_against_unbound_and_knot) { co_await doh_case(true, false); }
BROOD_RT_TEST(doh_post_against_dnsdist_and_knot) { co_await doh_case(false, true); }
BROOD_RT_TEST(doh_get_against_dnsdist_and_knot) { co_await doh_case(true, true); }

static rt::task<void> resolver_case() {
  test::dns_lab lab(zone);
  bool started = co_await lab.start();
  if (!started) BROOD_SKIP("knotd, unbound or dnsdist did not start (packages knot, unbound, dnsdist)");
  dns::resolver_options ro;
  ro.servers = "127.0.0.1:" + std::to_string(lab.knot_port);  // straight to the authoritative server
  auto r = dns::resolver::make(ro);
  BOOST_REQUIRE(r.has_value());

  auto addrs = co_await (*r)->lookup("scout1.brood.test", 8443);
  BOOST_REQUIRE_MESSAGE(addrs.has_value(), addrs.error().message());
  std::set<std::string> got;
  for (auto& a : *addrs) got.insert(a.to_string());
  BOOST_TEST((got == std::set<std::string>{"192.0.2.1:8443", "[2001:db8::1]:8443"}));

  // 765 bytes of TXT: more than a classic UDP answer, so c-ares goes on over TCP.
  auto big = co_await (*r)->query("big.brood.test", dns::record_type::txt);
  BOOST_REQUIRE_MESSAGE(big.has_value(), big.error().message());
  auto txt = dns::parse_txt({reinterpret_cast<const std::uint8_t*>(big->data()), big->size()});
  BOOST_TEST((txt.has_value() && (*txt)[0].text().size() == 765u));
  auto nx = co_await (*r)->query("nope.brood.test", dns::record_type::a);
  BOOST_TEST((nx.error() == dns::error::nxdomain));

  // The DoH server found by name through c-ares, then queried over DoH.
  dns::doh_options o;
  o.url = "https://doh.brood.test:" + std::to_string(lab.doh_port) + "/dns-query";
  tls::client_options co;
  co.ca_file = lab.pki.ca_file();
  o.tls = *tls::context::client(co);
  o.resolve = (*r)->as_http_resolver();
  auto doh = dns::doh_client::make(o);
  BOOST_REQUIRE(doh.has_value());
  auto srv = co_await (*doh)->srv("_brood._tcp.brood.test");
  BOOST_REQUIRE_MESSAGE(srv.has_value(), srv.error().message());
  BOOST_TEST(srv->size() == 2u);
  co_await (*doh)->close();
  co_await lab.stop();
}

BROOD_RT_TEST(c_ares_on_the_reactor_resolves_names_and_finds_the_doh_server) { co_await resolver_case(); }

BROOD_RT_TEST(a_silent_dns_server_times_out) {
  auto silent = net::udp_socket::bind(net::socket_address::ipv4_loopback(0));  // never answers
  BOOST_REQUIRE(silent.has_value());
  dns::resolver_options ro;
  ro.servers = silent->local_address()->to_string();
  ro.timeout = 100ms;
  ro.tries = 1;
  auto r = dns::resolver::make(ro);
  BOOST_REQUIRE(r.has_value());
  auto start = clock::now();
  auto a = co_await (*r)->query("scout1.brood.test", dns::record_type::a);
  BOOST_TEST((a.error() == std::errc::timed_out));
  BOOST_TEST((clock::now() - start < 3s));
}

BOOST_AUTO_TEST_SUITE_END()
