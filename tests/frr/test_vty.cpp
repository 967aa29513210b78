// frr vty: the answer's framing as bgpd and bfdd send it (output, three NULs, the status) read
// strictly — incomplete is waited for, anything else refused; and where each daemon's socket is.
#include <brood/frr/vty.hpp>

#include <boost/test/unit_test.hpp>

using namespace brood;
using namespace std::string_literals;

BOOST_AUTO_TEST_SUITE(frr_vty)

BOOST_AUTO_TEST_CASE(an_answer_is_its_output_and_status) {
  auto a = frr::parse_vty_answer("{\n  \"as\":65000\n}\n\0\0\0\0"s);
  BOOST_REQUIRE(a.has_value());
  BOOST_REQUIRE(a->has_value());
  BOOST_TEST((*a)->status == 0);
  BOOST_TEST((*a)->output == "{\n  \"as\":65000\n}\n");
  auto refused = frr::parse_vty_answer("% [BFD] Unknown command: show x\n\0\0\0\2"s);
  BOOST_REQUIRE((refused.has_value() && refused->has_value()));
  BOOST_TEST((*refused)->status == 2);
  auto empty = frr::parse_vty_answer("\0\0\0\0"s);
  BOOST_REQUIRE((empty.has_value() && empty->has_value()));
  BOOST_TEST((*empty)->output.empty());
}

BOOST_AUTO_TEST_CASE(an_incomplete_answer_is_waited_for) {
  for (auto in : {""s, "output"s, "output\0"s, "output\0\0"s, "output\0\0\0"s}) {
    auto a = frr::parse_vty_answer(in);
    BOOST_REQUIRE(a.has_value());
    BOOST_TEST(!a->has_value());
  }
}

BOOST_AUTO_TEST_CASE(a_nul_inside_or_bytes_after_are_refused) {
  for (auto in : {"out\0put\0\0\0\0"s, "out\0\0x\0\0"s, "output\0\0\0\0more"s, "output\0\0\0\0\0\0\0\0"s}) {
    auto a = frr::parse_vty_answer(in);
    BOOST_TEST((!a.has_value() && a.error() == std::errc::bad_message));
  }
}

BOOST_AUTO_TEST_CASE(each_daemon_has_its_socket_in_the_run_directory) {
  BOOST_TEST(frr::vty_socket_path("", "", "bgpd") == "/run/frr/bgpd.vty");
  BOOST_TEST(frr::vty_socket_path("", "n1", "bfdd") == "/run/frr/n1/bfdd.vty");
  BOOST_TEST(frr::vty_socket_path("/srv/frr", "n1", "bgpd") == "/srv/frr/bgpd.vty");
}

BOOST_AUTO_TEST_SUITE_END()
