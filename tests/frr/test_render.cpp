// frr::render against golden files (tests/data/frr/*.conf, byte for byte; BROOD_WRITE_GOLDEN=1
// rewrites them): a worker peering with two scouts, a reflector with clients in two vlans and
// another reflector; each golden file is also checked by FRR's own vtysh --dryrun where FRR
// is installed. Configs FRR could misread are refused.
#include <brood/frr/render.hpp>

#include "configs.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace brood;

BOOST_AUTO_TEST_SUITE(frr_render)

namespace {
std::string golden(const std::string& name, const std::string& fresh) {
  const std::string path = std::string(BROOD_TEST_DATA "/frr/") + name + ".conf";
  if (std::getenv("BROOD_WRITE_GOLDEN")) std::ofstream(path) << fresh;
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  BOOST_REQUIRE_MESSAGE(!ss.str().empty(), "missing golden file " << path);
  return ss.str();
}

/// FRR's parser on the file: every line a command some daemon knows, in the right node.
void frr_accepts(const std::string& name) {
  if (::access("/usr/bin/vtysh", X_OK) != 0) return;  // FRR is a peer of the lab, not of the build
  const std::string path = std::string(BROOD_TEST_DATA "/frr/") + name + ".conf";
  const std::string cmd = "vtysh --dryrun --inputfile " + path + " >/tmp/brood-frr-dryrun.log 2>&1";
  BOOST_TEST(std::system(cmd.c_str()) == 0, "vtysh --dryrun refused " << path << " (/tmp/brood-frr-dryrun.log)");
}

frr::config worker() {
  frr::config c;
  c.hostname = "vm";
  c.asn = 65000;
  c.router_id = "10.100.0.7";
  c.neighbors = {{"10.100.0.1", "scout 0a0b0c0d0e", false, {}, ""}, {"10.100.0.2", "scout 1f2e3d4c5b", false, {}, ""}};
  return c;
}

frr::config reflector() { return test::reflector_config(); }
}  // namespace

BOOST_AUTO_TEST_CASE(a_worker_peers_with_every_scout) {
  auto text = frr::render(worker());
  BOOST_REQUIRE(text.has_value());
  BOOST_TEST(*text == golden("worker", *text));
  BOOST_TEST(text->find("route-map") == std::string::npos);  // a worker filters nothing
  frr_accepts("worker");
}

BOOST_AUTO_TEST_CASE(a_reflector_sends_each_client_only_its_vlans) {
  auto text = frr::render(reflector());
  BOOST_REQUIRE(text.has_value());
  BOOST_TEST(*text == golden("reflector", *text));
  // The worker in vlans 100 and 200 is sent both; the one in 100 only 100; the one in none
  // nothing (it has no list, and the route-map's implicit deny takes the rest); the other
  // reflector everything.
  const std::string list_a = "bgp extcommunity-list standard brood-a1b2c3d4e5-vnis";
  BOOST_TEST(text->find(list_a + " seq 100 permit rt 65000:100\n" + list_a + " seq 200 permit rt 65000:200\n") !=
             std::string::npos);
  BOOST_TEST(text->find("bgp extcommunity-list standard brood-9988776655-vnis seq 100 permit rt 65000:100\n") !=
             std::string::npos);
  BOOST_TEST(text->find("brood-9988776655-vnis seq 200") == std::string::npos);
  BOOST_TEST(text->find("extcommunity-list standard brood-1234567890-vnis") == std::string::npos);
  BOOST_TEST(text->find("route-map brood-1234567890 permit 10\n match extcommunity brood-1234567890-vnis\nexit\n") !=
             std::string::npos);
  BOOST_TEST(text->find("neighbor 10.100.0.2 route-map") == std::string::npos);
  BOOST_TEST(text->find("  neighbor 10.100.0.7 route-map brood-a1b2c3d4e5 out\n") != std::string::npos);
  // And takes from each client only its own vlans' routes (a client making a VXLAN of a vlan it
  // is not in announces it to nobody).
  BOOST_TEST(text->find("  neighbor 10.100.0.8 route-map brood-9988776655 in\n") != std::string::npos);
  BOOST_TEST(text->find("route-map brood-9988776655 permit 10\n match extcommunity brood-9988776655-vnis\n") !=
             std::string::npos);
  frr_accepts("reflector");
}

BOOST_AUTO_TEST_CASE(route_targets_are_frr_s_own_for_a_four_byte_asn) {
  // FRR derives a VNI's route target from the low 16 bits of the ASN (bgp_evpn_evi_form_auto_rt).
  auto c = reflector();
  c.asn = 4'200'000'001;
  auto text = frr::render(c);
  BOOST_REQUIRE(text.has_value());
  BOOST_TEST(*text == golden("reflector-asn4", *text));
  BOOST_TEST(text->find("router bgp 4200000001\n") != std::string::npos);
  BOOST_TEST(text->find("permit rt " + std::to_string(4'200'000'001u & 0xFFFF) + ":100\n") != std::string::npos);
  frr_accepts("reflector-asn4");
}

BOOST_AUTO_TEST_CASE(the_same_config_renders_the_same_text) {
  BOOST_TEST(*frr::render(reflector()) == *frr::render(reflector()));
  auto other = reflector();
  other.neighbors[2].vnis = {100, 200};
  BOOST_TEST(*frr::render(other) != *frr::render(reflector()));
}

BOOST_AUTO_TEST_CASE(what_frr_could_misread_is_refused) {
  auto bad = [](auto change) {
    auto c = reflector();
    change(c);
    return !frr::render(c).has_value();
  };
  BOOST_TEST(bad([](frr::config& c) { c.hostname = "a b"; }));
  BOOST_TEST(bad([](frr::config& c) { c.hostname = "a\nrouter bgp 1"; }));
  BOOST_TEST(bad([](frr::config& c) { c.asn = 0; }));
  BOOST_TEST(bad([](frr::config& c) { c.router_id = "fd00::1"; }));
  BOOST_TEST(bad([](frr::config& c) { c.neighbors[0].address = "10.100.0.1"; }));  // itself
  BOOST_TEST(bad([](frr::config& c) { c.neighbors[1].address = c.neighbors[0].address; }));
  BOOST_TEST(bad([](frr::config& c) { c.neighbors[1].description = "x\n!\nrouter bgp 1"; }));
  BOOST_TEST(bad([](frr::config& c) { c.neighbors[1].name = "a;b"; }));
  BOOST_TEST(bad([](frr::config& c) { c.neighbors[1].vnis = {16'777'216}; }));
  BOOST_TEST(bad([](frr::config& c) { c.neighbors[1].vnis.assign(16'385, 7); }));
  BOOST_TEST(!bad([](frr::config&) {}));
}

BOOST_AUTO_TEST_SUITE_END()
