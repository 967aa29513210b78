// The names a scout is reached by (api::with_scout): the first scout's SRV entry at priority 0,
// a later one's at 10, nothing written twice, a scout that moved leaves no old address behind,
// and a removed scout takes its entry and addresses with it, and nobody else's.
#include <brood/api/scout_names.hpp>

#include <boost/test/unit_test.hpp>

using namespace brood;
using provider::rr_type;

BOOST_AUTO_TEST_SUITE(api_scout_names)

namespace {
const records::names n("brood.test");
std::vector<std::string> values(const std::vector<provider::rrset>& sets, const std::string& name, rr_type t) {
  for (auto& s : sets)
    if (s.name == name && s.type == t) return s.values;
  return {"(no such set)"};
}
using strings = std::vector<std::string>;
}  // namespace

BOOST_AUTO_TEST_CASE(scouts_are_added_once_moved_cleanly_and_taken_out_alone) {
  auto one = api::with_scout(api::scout_name_sets(n, "aaaaaaaaaa", 60), n, "aaaaaaaaaa", "192.0.2.1", 8443);
  BOOST_TEST((values(one, "_brood._tcp.brood.test", rr_type::srv) == strings{"0 100 8443 aaaaaaaaaa.brood.test"}));
  BOOST_TEST((values(one, "aaaaaaaaaa.brood.test", rr_type::a) == strings{"192.0.2.1"}));
  BOOST_TEST((values(one, "brood.test", rr_type::a) == strings{"192.0.2.1"}));
  BOOST_TEST((api::with_scout(one, n, "aaaaaaaaaa", "192.0.2.1", 8443)[0].values == one[0].values));

  // A second scout: its own sets as it reads them (the SRV and the domain's are shared).
  auto second = api::scout_name_sets(n, "bbbbbbbbbb", 60);
  second[0].values = values(one, "_brood._tcp.brood.test", rr_type::srv);
  second[3].values = values(one, "brood.test", rr_type::a);
  auto two = api::with_scout(second, n, "bbbbbbbbbb", "2001:db8::2", 8443);
  BOOST_TEST((values(two, "_brood._tcp.brood.test", rr_type::srv) ==
              strings{"0 100 8443 aaaaaaaaaa.brood.test", "10 100 8443 bbbbbbbbbb.brood.test"}));
  BOOST_TEST((values(two, "bbbbbbbbbb.brood.test", rr_type::aaaa) == strings{"2001:db8::2"}));
  BOOST_TEST((values(two, "brood.test", rr_type::aaaa) == strings{"2001:db8::2"}));
  BOOST_TEST((values(two, "brood.test", rr_type::a) == strings{"192.0.2.1"}));  // the first's kept

  // It moves: the old address leaves the domain's too.
  auto moved = api::with_scout(two, n, "bbbbbbbbbb", "2001:db8::3", 8443);
  BOOST_TEST((values(moved, "brood.test", rr_type::aaaa) == strings{"2001:db8::3"}));
  BOOST_TEST(values(moved, "_brood._tcp.brood.test", rr_type::srv).size() == 2u);

  // Removed: its entry and addresses go, the first scout's stay.
  auto gone = api::with_scout(moved, n, "bbbbbbbbbb", "", 0);
  BOOST_TEST((values(gone, "_brood._tcp.brood.test", rr_type::srv) == strings{"0 100 8443 aaaaaaaaaa.brood.test"}));
  BOOST_TEST(values(gone, "bbbbbbbbbb.brood.test", rr_type::aaaa).empty());
  BOOST_TEST(values(gone, "brood.test", rr_type::aaaa).empty());
  BOOST_TEST((values(gone, "brood.test", rr_type::a) == strings{"192.0.2.1"}));

  // A worker's removal finds nothing of its own to take out.
  auto worker = api::scout_name_sets(n, "cccccccccc", 60);
  worker[0].values = values(gone, "_brood._tcp.brood.test", rr_type::srv);
  worker[3].values = values(gone, "brood.test", rr_type::a);
  auto untouched = api::with_scout(worker, n, "cccccccccc", "", 0);
  BOOST_TEST((untouched[0].values == worker[0].values));
  BOOST_TEST((untouched[3].values == worker[3].values));
}

BOOST_AUTO_TEST_SUITE_END()
