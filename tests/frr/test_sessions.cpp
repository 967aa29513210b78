// frr sessions: FRR 8.4's own JSON (captured from the lab in tests/data/frr) parsed into
// sessions; what is not FRR's shape is refused, never half-read.
#include <brood/frr/sessions.hpp>

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

using namespace brood;

BOOST_AUTO_TEST_SUITE(frr_sessions)

namespace {
std::string data(const char* name) {
  std::ifstream in(std::string(BROOD_TEST_DATA "/frr/") + name);
  std::stringstream ss;
  ss << in.rdbuf();
  BOOST_REQUIRE(!ss.str().empty());
  return ss.str();
}
}  // namespace

BOOST_AUTO_TEST_CASE(frr_s_own_answers_give_each_session_its_bgp_and_bfd_state) {
  auto s = frr::parse_sessions(data("bgp_summary.json"), data("bfd_peers.json"));
  BOOST_REQUIRE(s.has_value());
  BOOST_REQUIRE_EQUAL(s->size(), 2u);
  for (auto& x : *s) {
    BOOST_TEST(x.bgp == "Established");
    BOOST_TEST(x.bfd == "up");
    BOOST_TEST(x.peer.starts_with("10.100."));
  }
  BOOST_TEST((*s)[0].peer < (*s)[1].peer);
}

BOOST_AUTO_TEST_CASE(no_instance_yet_is_no_session) {
  auto s = frr::parse_sessions("{}", "[]");
  BOOST_TEST((s.has_value() && s->empty()));
  s = frr::parse_sessions(R"({"peers":{"10.0.0.2":{"state":"Active"}}})", "[]");
  BOOST_REQUIRE(s.has_value());
  BOOST_TEST((*s)[0].bgp == "Active");
  BOOST_TEST((*s)[0].bfd.empty());
}

BOOST_AUTO_TEST_CASE(what_is_not_frr_s_shape_is_refused) {
  for (auto [bgp, bfd] : std::vector<std::pair<const char*, const char*>>{
           {"", "[]"}, {"[]", "[]"}, {"{}", "{}"}, {R"({"peers":[]})", "[]"}, {R"({"peers":{"a":{}}})", "[]"},
           {R"({"peers":{"a":{"state":1}}})", "[]"}, {"{}", R"([{"peer":"a"}])"}, {"{}", R"([{"peer":1,"status":"up"}])"},
           {"{", "[]"}}) {
    BOOST_TEST((frr::parse_sessions(bgp, bfd).error() == std::errc::bad_message), bgp << " / " << bfd);
  }
}

BOOST_AUTO_TEST_SUITE_END()
