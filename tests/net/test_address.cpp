// socket_address parsing and printing.
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

BOOST_AUTO_TEST_SUITE_END()
