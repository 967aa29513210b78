// rate_limiter: bursts, refill, the wait it reports, separate clients, and a bounded table that
// forgets idle clients first and shares one bucket among newcomers when nobody is idle.
#include <brood/api/rate_limit.hpp>

#include <boost/test/unit_test.hpp>

using namespace brood::api;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(api_rate_limit)

BOOST_AUTO_TEST_CASE(a_burst_then_the_sustained_rate) {
  rate_limiter l({2, 5});
  const auto t0 = rate_limiter::clock::time_point{} + 1h;
  for (int i = 0; i < 5; ++i) BOOST_TEST(l.take("192.0.2.1", t0).count() == 0);
  BOOST_TEST(l.take("192.0.2.1", t0).count() == 500);  // one token at 2/s
  BOOST_TEST(l.take("192.0.2.1", t0 + 400ms).count() == 100);
  BOOST_TEST(l.take("192.0.2.1", t0 + 500ms).count() == 0);
  BOOST_TEST(l.take("192.0.2.2", t0).count() == 0);  // another client has its own bucket
  BOOST_TEST(l.refused() == 2u);
  // Idle for a minute: the bucket is full again, never fuller than the burst.
  for (int i = 0; i < 5; ++i) BOOST_TEST(l.take("192.0.2.1", t0 + 60s).count() == 0);
  BOOST_TEST(l.take("192.0.2.1", t0 + 60s).count() > 0);
}

BOOST_AUTO_TEST_CASE(a_zero_burst_turns_the_limit_off) {
  rate_limiter l({0, 0});
  for (int i = 0; i < 1000; ++i) BOOST_TEST(l.take("192.0.2.1", {}).count() == 0);
  BOOST_TEST(l.clients() == 0u);
}

BOOST_AUTO_TEST_CASE(the_table_of_clients_is_bounded) {
  rate_limiter l({1, 2}, 3);
  const auto t0 = rate_limiter::clock::time_point{} + 1h;
  for (const char* c : {"a", "b", "c"}) {
    BOOST_TEST(l.take(c, t0).count() == 0);
    BOOST_TEST(l.take(c, t0).count() == 0);  // each bucket empty: nobody is idle
  }
  // Full of busy clients: newcomers share one bucket (2 tokens between them).
  BOOST_TEST(l.take("d", t0).count() == 0);
  BOOST_TEST(l.take("e", t0).count() == 0);
  BOOST_TEST(l.take("f", t0).count() > 0);
  BOOST_TEST(l.clients() == 3u);
  // Later a, b and c have refilled: they are forgotten and a newcomer gets its own bucket.
  BOOST_TEST(l.take("g", t0 + 10s).count() == 0);
  BOOST_TEST(l.clients() == 1u);
}

BOOST_AUTO_TEST_CASE(the_client_is_the_address_without_the_port) {
  BOOST_TEST(client_of("192.0.2.1:443") == "192.0.2.1");
  BOOST_TEST(client_of("[2001:db8::1]:8443") == "2001:db8::1");
  BOOST_TEST(client_of("2001:db8::1") == "2001:db8::1");
  BOOST_TEST(client_of("") == "");
}

BOOST_AUTO_TEST_CASE(an_ipv6_client_is_its_64) {
  BOOST_TEST(client_key("[2001:db8:1:2:aaaa::1]:8443") == "2001:db8:1:2::/64");
  BOOST_TEST(client_key("[2001:db8:1:2:bbbb::7]:1") == "2001:db8:1:2::/64");
  BOOST_TEST(client_key("[2001:db8:1:3::1]:1") == "2001:db8:1:3::/64");
  BOOST_TEST(client_key("192.0.2.1:443") == "192.0.2.1");
  // IPv4 clients of a dual-stack listener are each their own client, not one shared ::/64 (the
  // review's M4).
  BOOST_TEST(client_key("[::ffff:192.0.2.1]:1") == "192.0.2.1");
  BOOST_TEST(client_key("[::ffff:192.0.2.1]:1") != client_key("[::ffff:198.51.100.2]:2"));
}

BOOST_AUTO_TEST_SUITE_END()
