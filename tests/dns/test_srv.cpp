// SRV ordering: priorities strictly in order, weights honoured statistically.
#include <brood/dns/srv.hpp>

#include <boost/test/unit_test.hpp>

#include <map>

using namespace brood::dns;

BOOST_AUTO_TEST_SUITE(srv)

BOOST_AUTO_TEST_CASE(priority_first_then_weight) {
  std::vector<srv_record> in{{10, 0, 8443, "backup"}, {0, 75, 8443, "heavy"}, {0, 25, 8443, "light"}, {0, 0, 8443, "zero"}};
  std::mt19937 rng(1);
  std::map<std::string, int> first;
  for (int i = 0; i < 10000; ++i) {
    auto out = order_srv(in, rng);
    BOOST_REQUIRE(out.size() == 4u);
    BOOST_REQUIRE(out.back().target == "backup");  // the only priority-10 target is last
    BOOST_REQUIRE(out[2].target == "zero");        // weight 0 goes after the weighted ones
    ++first[out.front().target];
  }
  // heavy should lead ~75% of the time, light ~25%.
  BOOST_TEST(first["heavy"] > 7000);
  BOOST_TEST(first["heavy"] < 8000);
  BOOST_TEST(first["light"] > 2000);
  BOOST_TEST(first["light"] < 3000);
  BOOST_TEST(first["zero"] == 0);
}

BOOST_AUTO_TEST_CASE(all_zero_weights_and_empty_input) {
  std::mt19937 rng(2);
  BOOST_TEST(order_srv({}, rng).empty());
  auto out = order_srv({{5, 0, 1, "a"}, {5, 0, 2, "b"}}, rng);
  BOOST_TEST(out.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
