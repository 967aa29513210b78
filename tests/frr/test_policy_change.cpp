// frr::plan_policy_change: a change of clients' vlans alone becomes extcommunity-list lines in
// render()'s own words and a refresh of exactly the clients that changed; any other difference
// is left to a full reload. The lines are checked against the rendered texts: applying them to
// the old text's lists gives the new text's.
#include <brood/frr/policy_change.hpp>
#include <brood/frr/render.hpp>

#include "configs.hpp"

#include <boost/test/unit_test.hpp>

#include <set>
#include <sstream>

using namespace brood;

BOOST_AUTO_TEST_SUITE(frr_policy_change)

namespace {
frr::config reflector() { return test::reflector_config(); }

/// The extcommunity-list lines of a rendered text.
std::set<std::string> lists(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l.rfind("bgp extcommunity-list ", 0) == 0) out.insert(l);
  return out;
}

/// `from`'s lists with the change's commands applied.
std::set<std::string> applied(const std::string& from, const frr::policy_change& p) {
  auto out = lists(from);
  for (auto& c : p.commands) {
    if (c.rfind("no ", 0) == 0) BOOST_TEST(out.erase(c.substr(3)) == 1u, "removes what is not there: " << c);
    else BOOST_TEST(out.insert(c).second, "adds what is there: " << c);
  }
  return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_membership_is_one_line_and_one_refresh) {
  auto from = reflector(), to = reflector();
  to.neighbors[3].vnis = {300};       // the client in none joins 300
  to.neighbors[1].vnis = {200};       // the client in 100 and 200 leaves 100
  auto p = frr::plan_policy_change(from, to);
  BOOST_REQUIRE(p.has_value());
  BOOST_TEST((p->commands == std::vector<std::string>{
                  "no bgp extcommunity-list standard brood-a1b2c3d4e5-vnis seq 100 permit rt 65000:100",
                  "bgp extcommunity-list standard brood-1234567890-vnis seq 300 permit rt 65000:300"}));
  BOOST_TEST((p->refresh == std::vector<std::string>{"10.100.0.7", "10.100.0.9"}));
  BOOST_TEST(applied(*frr::render(from), *p) == lists(*frr::render(to)));
  auto lines = frr::vty_commands(*p);
  BOOST_TEST((lines == std::vector<std::string>{"configure terminal", p->commands[0], p->commands[1], "end",
                                                "clear bgp l2vpn evpn 10.100.0.7 soft", "clear bgp l2vpn evpn 10.100.0.9 soft"}));
}

BOOST_AUTO_TEST_CASE(the_same_filters_are_no_change) {
  auto to = reflector();
  to.neighbors[1].vnis = {100, 200, 100};  // order and repeats render alike
  auto p = frr::plan_policy_change(reflector(), to);
  BOOST_REQUIRE(p.has_value());
  BOOST_TEST(p->empty());
  BOOST_TEST(p->refresh.empty());
}

BOOST_AUTO_TEST_CASE(a_four_byte_asn_keeps_frr_s_route_targets) {
  auto from = reflector(), to = reflector();
  from.asn = to.asn = 4'200'000'001;
  to.neighbors[2].vnis = {100, 7};
  auto p = frr::plan_policy_change(from, to);
  BOOST_REQUIRE(p.has_value());
  BOOST_TEST(applied(*frr::render(from), *p) == lists(*frr::render(to)));
}

BOOST_AUTO_TEST_CASE(anything_else_is_a_full_reload) {
  auto differs = [](auto change) {
    auto to = reflector();
    change(to);
    return !frr::plan_policy_change(reflector(), to).has_value();
  };
  BOOST_TEST(differs([](frr::config& c) { c.asn = 65001; }));
  BOOST_TEST(differs([](frr::config& c) { c.hostname = "other"; }));
  BOOST_TEST(differs([](frr::config& c) { c.router_id = "10.100.0.3"; }));
  BOOST_TEST(differs([](frr::config& c) { c.bfd.receive_ms = 300; }));
  BOOST_TEST(differs([](frr::config& c) { c.neighbors.pop_back(); }));                       // a client gone
  BOOST_TEST(differs([](frr::config& c) { c.neighbors[2].address = "10.100.0.10"; }));
  BOOST_TEST(differs([](frr::config& c) { c.neighbors[2].description = "worker x"; }));
  BOOST_TEST(differs([](frr::config& c) { c.neighbors[2].client = false; }));
  BOOST_TEST(differs([](frr::config& c) { std::swap(c.neighbors[1], c.neighbors[2]); }));  // order is text
  BOOST_TEST(differs([](frr::config& c) { c.neighbors[0].vnis = {100}; }));  // no filter holds these
  BOOST_TEST(!differs([](frr::config& c) { c.neighbors[2].vnis = {}; }));
  auto worker = reflector();
  worker.route_reflector = false;
  auto other = worker;
  other.neighbors[1].vnis = {100};
  BOOST_TEST(!frr::plan_policy_change(worker, other).has_value());  // a worker renders no filter
}

BOOST_AUTO_TEST_SUITE_END()
