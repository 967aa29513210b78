// segments against the kernel, in a network namespace of the test's own: a plan's vlans made as
// vxlan/bridge pairs with every attribute (read back by iproute2); applied again, nothing
// changes; a VXLAN deleted or changed by hand is put back; a device brood did not make is left
// alone and named, and a vlan it blocks stops no other; a bridge brood made but could not name is
// taken back; an incomplete plan takes nothing away, a complete one exactly its vlan's.
#include <brood/agent/segments.hpp>
#include <brood/netlink/bridge.hpp>
#include <brood/netlink/link.hpp>

#include "support/netns.hpp"
#include "support/rt_test.hpp"

using namespace brood;

BOOST_AUTO_TEST_SUITE(segments)

namespace {
agent::segment seg(std::uint32_t vni, const char* svi) {
  agent::segment s;
  s.vni = vni;
  s.vxlan = "vxlan" + std::to_string(vni);
  s.bridge = "br" + std::to_string(vni);
  s.svi = *net::ip_prefix::parse(svi);
  s.vtep = *net::ip_prefix::parse("10.100.0.2");
  s.mac = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
  return s;
}
/// The applier's section of status.json, as an object of its own.
std::string status_of(const agent::segments& s) {
  json::writer w;
  w.begin_object();
  s.describe(w);
  w.end_object();
  return w.take();
}
rt::task<bool> exists(std::string name) {
  auto l = co_await netlink::get_link(std::move(name));
  co_return l.has_value();
}
}  // namespace

static rt::task<void> segments_by_difference() {
  if (!test::netns_lab::available()) BROOD_SKIP("needs root and ip netns");
  test::netns_lab lab("bsg");
  BOOST_REQUIRE(co_await lab.add("x"));
  const auto x = lab.name("x");
  test::in_netns in(x);
  BOOST_REQUIRE(in.ok());
  const std::string ipx = "ip -n " + x + " ";

  agent::segments s;
  agent::segment_plan p;
  p.complete = true;
  p.segments = {seg(100, "10.200.0.10/24"), seg(200, "10.201.0.7/24")};
  auto r = co_await s.apply(p);
  BOOST_REQUIRE_MESSAGE(r.has_value(), r.error().message());
  BOOST_TEST(*r);
  BOOST_TEST(co_await lab.sh(ipx + "-d link show vxlan100 | grep -q 'master br100 .*state UNKNOWN\\|master br100'"));
  BOOST_TEST(co_await lab.sh(ipx + "-d link show vxlan100 | grep -q 'mtu 1370'"));
  BOOST_TEST(co_await lab.sh(ipx + "-d link show vxlan100 | grep -q 'vxlan id 100 local 10.100.0.2 .*dstport 4789 nolearning'"));
  BOOST_TEST(co_await lab.sh("bridge -n " + x + " -d link show dev vxlan100 | grep -q 'neigh_suppress on'"));
  BOOST_TEST(co_await lab.sh("bridge -n " + x + " -d link show dev vxlan100 | grep -q 'learning off'"));
  BOOST_TEST(co_await lab.sh(ipx + "addr show br100 | grep -q 'inet 10.200.0.10/24'"));
  BOOST_TEST(co_await lab.sh(ipx + "link show br100 | grep -q 'link/ether 02:aa:bb:cc:dd:ee'"));
  BOOST_TEST(co_await lab.sh(ipx + "link show br200 | grep -q ',UP'"));
  BOOST_TEST(co_await lab.sh(ipx + "-d link show vxlan200 | grep -q 'vxlan id 200'"));

  s.link_changed();
  r = co_await s.apply(p);
  BOOST_TEST((r.has_value() && !*r));  // nothing left to do

  // By hand: the VXLAN deleted, the other one's learning turned on, a bridge's address taken.
  BOOST_REQUIRE(co_await lab.sh("set -e; " + ipx + "link del vxlan100; " + ipx + "link set vxlan200 type vxlan learning; " +
                                ipx + "addr flush dev br200"));
  s.link_changed();
  r = co_await s.apply(p);
  BOOST_TEST((r.has_value() && *r));
  BOOST_TEST(co_await lab.sh(ipx + "-d link show vxlan100 | grep -q 'vxlan id 100 .*nolearning'"));
  BOOST_TEST(co_await lab.sh(ipx + "-d link show vxlan200 | grep -q 'nolearning'"));
  BOOST_TEST(co_await lab.sh(ipx + "addr show br200 | grep -q 'inet 10.201.0.7/24'"));
  BOOST_TEST(s.restores() >= 1u);

  // A device of another's on one of brood's names: left alone, and said.
  BOOST_REQUIRE(co_await lab.sh(ipx + "link add br300 type bridge"));
  p.segments.push_back(seg(300, "10.202.0.1/24"));
  r = co_await s.apply(p);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(!(co_await exists("vxlan300")));
  const auto status = status_of(s);
  BOOST_TEST(status.find("br300 exists and was not made by brood") != std::string::npos, status);

  // One vlan blocked (another's VXLAN holds its VNI) stops no other; a bridge brood made but
  // could not name (a crash between the two requests) is taken back.
  BOOST_REQUIRE(co_await lab.sh("set -e; " + ipx + "link add vx-other type vxlan id 400 dstport 4789 local 10.100.0.2 nolearning; " +
                                ipx + "link add br500 address 02:aa:bb:cc:dd:ee type bridge"));
  p.segments = {seg(100, "10.200.0.10/24"), seg(200, "10.201.0.7/24"), seg(400, "10.204.0.1/24"), seg(500, "10.205.0.1/24")};
  r = co_await s.apply(p);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(!(co_await exists("vxlan400")));
  BOOST_TEST((co_await exists("vxlan500")));
  BOOST_TEST(co_await lab.sh(ipx + "addr show br500 | grep -q 'inet 10.205.0.1/24'"));
  BOOST_TEST(co_await lab.sh(ipx + "-d link show br500 | grep -q 'alias brood vlan 500'"));
  const auto status2 = status_of(s);
  BOOST_TEST(status2.find("vlan 400: another VXLAN device holds VNI 400") != std::string::npos, status2);
  BOOST_TEST(status2.find("\"vni\":500") != std::string::npos, status2);
  p.segments.resize(2);

  // Vlan 200 planned away: kept while the plan is incomplete, gone (both devices) when complete;
  // br300, not brood's, stays either way.
  p.segments = {seg(100, "10.200.0.10/24")};
  p.complete = false;
  s.link_changed();
  r = co_await s.apply(p);
  BOOST_TEST((co_await exists("vxlan200")));
  BOOST_TEST((co_await exists("br200")));
  p.complete = true;
  s.link_changed();
  r = co_await s.apply(p);
  BOOST_TEST((r.has_value() && *r));
  BOOST_TEST(!(co_await exists("vxlan200")));
  BOOST_TEST(!(co_await exists("br200")));
  BOOST_TEST((co_await exists("vxlan100")));
  BOOST_TEST((co_await exists("br300")));
}

BROOD_RT_TEST(vlan_devices_are_made_put_back_and_taken_away_by_difference) { co_await segments_by_difference(); }

BOOST_AUTO_TEST_SUITE_END()
