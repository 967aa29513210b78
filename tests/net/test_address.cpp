// socket_address parsing and printing; ip_prefix's network arithmetic.
#include <brood/net/ip_prefix.hpp>
#include <brood/net/socket_address.hpp>

#include <boost/test/unit_test.hpp>

using brood::net::socket_address;

BOOST_AUTO_TEST_SUITE(address)

BOOST_AUTO_TEST_CASE(parses_and_prints_ipv4_and_ipv6) {
  auto a = socket_address::parse("192.0.2.7:51820");
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(a->family() == AF_INET);
  BOOST_TEST(a->port() == 51820);
  BOOST_TEST(a->to_string() == "192.0.2.7:51820");
  auto b = socket_address::parse("[2001:db8::1]:8443");
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST(b->family() == AF_INET6);
  BOOST_TEST(b->to_string() == "[2001:db8::1]:8443");
  BOOST_TEST((*socket_address::parse("127.0.0.1:9") == socket_address::ipv4_loopback(9)));
}

BOOST_AUTO_TEST_CASE(rejects_malformed_text) {
  for (const char* bad : {"", "1.2.3.4", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.256:80", "[::1]80",
                          "[::1]:", "::1:80", "[zz::1]:80", "host.example:80", "1.2.3.4:80x"}) {
    BOOST_TEST_INFO("input: " << bad);
    BOOST_TEST(!socket_address::parse(bad).has_value());
  }
}

BOOST_AUTO_TEST_CASE(unix_paths_are_bounded) {
  BOOST_TEST(socket_address::unix_path("/run/brood/api.sock").has_value());
  BOOST_TEST(!socket_address::unix_path(std::string(200, 'x')).has_value());
  BOOST_TEST(!socket_address::unix_path("").has_value());
}

namespace {
brood::net::ip_prefix pfx(const char* s) { return *brood::net::ip_prefix::parse(s); }
}  // namespace

BOOST_AUTO_TEST_CASE(prefix_networks_containment_and_host_addresses) {
  using brood::net::ip_prefix;
  BOOST_TEST(pfx("10.1.2.3/24").network().to_string() == "10.1.2.0/24");
  BOOST_TEST(pfx("10.1.2.3/0").network().to_string() == "0.0.0.0/0");
  BOOST_TEST(pfx("2001:db8:1:2::7/63").network().to_string() == "2001:db8:1:2::/63");
  BOOST_TEST(pfx("10.1.2.0/24").is_network());
  BOOST_TEST(!pfx("10.1.2.1/24").is_network());
  BOOST_TEST(pfx("10.1.2.1").is_network());  // a host prefix is its own network

  BOOST_TEST(pfx("10.1.0.0/16").contains(pfx("10.1.255.9")));
  BOOST_TEST(pfx("10.1.0.0/16").contains(pfx("10.1.4.0/24")));
  BOOST_TEST(!pfx("10.1.0.0/16").contains(pfx("10.2.0.1")));
  BOOST_TEST(!pfx("10.1.4.0/24").contains(pfx("10.1.0.0/16")));  // shorter: not inside
  BOOST_TEST(!pfx("0.0.0.0/0").contains(pfx("::1")));           // other family
  BOOST_TEST(pfx("2001:db8::/48").contains(pfx("2001:db8:0:ffff::1")));
  BOOST_TEST(!pfx("2001:db8::/48").contains(pfx("2001:db8:1::1")));

  BOOST_TEST(pfx("10.1.2.7/24").is_host_address());
  BOOST_TEST(!pfx("10.1.2.0/24").is_host_address());
  BOOST_TEST(!pfx("10.1.2.255/24").is_host_address());
  BOOST_TEST(pfx("10.1.2.255/31").is_host_address());
  BOOST_TEST(pfx("10.1.2.255/32").is_host_address());
  BOOST_TEST(pfx("2001:db8::ffff:ffff:ffff:ffff/64").is_host_address());  // no broadcast in IPv6
  BOOST_TEST(!pfx("2001:db8::/64").is_host_address());

  BOOST_TEST(ip_prefix::parse_address("10.1.2.3").has_value());
  BOOST_TEST(ip_prefix::parse_address("10.1.2.3")->length == 32);
  BOOST_TEST(!ip_prefix::parse_address("10.1.2.3/32").has_value());
  BOOST_TEST(!ip_prefix::parse_address("10.1.2").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
