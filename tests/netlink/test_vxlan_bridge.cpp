// VXLAN devices and bridges through netlink, inside a network namespace of the test's own, read
// back by netlink and by iproute2 (`ip -d link`, `bridge -d link`): a bridge with its MAC, MTU
// and alias; a VXLAN port with its VNI, local VTEP, port and learning off, enslaved at creation;
// bridge port flags set and read; FDB entries with their remote VTEPs; a VXLAN changed by hand
// seen as changed.
#include <brood/netlink/bridge.hpp>
#include <brood/netlink/link.hpp>

#include "support/netns.hpp"
#include "support/rt_test.hpp"

#include <algorithm>

using namespace brood;

BOOST_AUTO_TEST_SUITE(vxlan_bridge)

namespace {
const netlink::link_info* named(const std::vector<netlink::link_info>& all, const std::string& name) {
  auto it = std::find_if(all.begin(), all.end(), [&](const netlink::link_info& l) { return l.name == name; });
  return it == all.end() ? nullptr : &*it;
}
}  // namespace

static rt::task<void> vxlan_on_a_bridge() {
  if (!test::netns_lab::available()) BROOD_SKIP("needs root and ip netns");
  test::netns_lab lab("bvx");
  BOOST_REQUIRE(co_await lab.add("x"));
  const auto x = lab.name("x");
  test::in_netns in(x);
  BOOST_REQUIRE(in.ok());

  netlink::new_link br;
  br.name = "br100";
  br.kind = "bridge";
  br.mtu = 1370;
  br.mac = netlink::mac_address{0x02, 0x12, 0x34, 0x56, 0x78, 0x9a};
  br.alias = "brood vlan 100";
  auto made = co_await netlink::create_link(br);
  BOOST_REQUIRE_MESSAGE(made.has_value(), made.error().message());
  auto b = co_await netlink::get_link("br100");
  BOOST_REQUIRE(b.has_value());

  netlink::new_link vx;
  vx.name = "vxlan100";
  vx.kind = "vxlan";
  vx.mtu = 1370;
  vx.alias = "brood vlan 100";
  vx.master = b->index;
  vx.vxlan = netlink::vxlan_settings{100, *net::ip_prefix::parse("10.100.0.2"), 4789, false};
  made = co_await netlink::create_link(vx);
  BOOST_REQUIRE_MESSAGE(made.has_value(), made.error().message());
  netlink::new_link no_settings = vx;
  no_settings.name = "vxlan101";
  no_settings.vxlan.reset();
  auto refused = co_await netlink::create_link(no_settings);
  BOOST_TEST((refused.error() == std::errc::invalid_argument));

  auto all = co_await netlink::list_links();
  BOOST_REQUIRE(all.has_value());
  const auto* lb = named(*all, "br100");
  const auto* lv = named(*all, "vxlan100");
  BOOST_REQUIRE((lb && lv && named(*all, "lo")));
  BOOST_TEST(lb->kind == "bridge");
  BOOST_TEST((lb->mac == br.mac));
  BOOST_TEST(lb->alias == "brood vlan 100");
  BOOST_TEST(lb->mtu == 1370u);
  BOOST_TEST(lv->kind == "vxlan");
  BOOST_TEST(lv->master == lb->index);
  BOOST_TEST(lv->mtu == 1370u);
  BOOST_REQUIRE(lv->vxlan.has_value());
  BOOST_TEST((*lv->vxlan == *vx.vxlan));
  BOOST_TEST(co_await lab.sh("ip -n " + x + " -d link show vxlan100 | grep -q 'vxlan id 100 local 10.100.0.2 .*dstport 4789 nolearning'"));
  BOOST_TEST(co_await lab.sh("ip -n " + x + " -d link show vxlan100 | grep -q ' noudpcsum '"));
  BOOST_TEST(co_await lab.sh("ip -n " + x + " -d link show br100 | grep -q 'link/ether 02:12:34:56:78:9a'"));

  // Port flags: the kernel's defaults, then brood's.
  auto ports = co_await netlink::bridge_ports();
  BOOST_REQUIRE(ports.has_value());
  BOOST_REQUIRE(ports->count(lv->index));
  BOOST_TEST(ports->at(lv->index).learning);
  BOOST_TEST(!ports->at(lv->index).neigh_suppress);
  BOOST_TEST(!ports->count(lb->index));  // the bridge itself is no port
  auto set = co_await netlink::set_bridge_port(lv->index, {false, true});
  BOOST_REQUIRE_MESSAGE(set.has_value(), set.error().message());
  ports = co_await netlink::bridge_ports();
  BOOST_TEST((ports->at(lv->index) == netlink::bridge_port_flags{false, true}));
  BOOST_TEST(co_await lab.sh("bridge -n " + x + " -d link show dev vxlan100 | grep -q 'learning off'"));
  BOOST_TEST(co_await lab.sh("bridge -n " + x + " -d link show dev vxlan100 | grep -q 'neigh_suppress on'"));

  // The forwarding database: a flood entry and a MAC behind a remote VTEP, as FRR installs them.
  BOOST_REQUIRE(co_await lab.sh("set -e; bridge -n " + x + " fdb append 00:00:00:00:00:00 dev vxlan100 dst 10.100.0.9; bridge -n " +
                                x + " fdb add 02:00:00:00:00:09 dev vxlan100 dst 10.100.0.9 self"));
  auto fdb = co_await netlink::fdb_entries();
  BOOST_REQUIRE(fdb.has_value());
  bool flood = false, mac = false;
  for (auto& e : *fdb) {
    if (e.index != lv->index || !e.dst) continue;
    flood = flood || (e.mac == netlink::mac_address{} && e.dst->address_string() == "10.100.0.9");
    mac = mac || (e.mac == netlink::mac_address{2, 0, 0, 0, 0, 9} && e.dst->address_string() == "10.100.0.9");
  }
  BOOST_TEST(flood);
  BOOST_TEST(mac);

  // Changed by hand: seen.
  BOOST_REQUIRE(co_await lab.sh("set -e; ip -n " + x + " link set vxlan100 nomaster; ip -n " + x +
                                " link set vxlan100 type vxlan learning; ip -n " + x + " link set br100 address 02:00:00:00:00:01"));
  auto after = co_await netlink::list_links();
  BOOST_REQUIRE(after.has_value());
  lv = named(*after, "vxlan100");
  lb = named(*after, "br100");
  BOOST_TEST(lv->master == 0);
  BOOST_TEST(lv->vxlan->learning);
  BOOST_TEST((lb->mac != br.mac));
  auto enslaved = co_await netlink::set_link_master(lv->index, lb->index);
  BOOST_TEST(enslaved.has_value());
  auto remac = co_await netlink::set_link_mac(lb->index, *br.mac);
  BOOST_TEST(remac.has_value());
  const int bridge_index = lb->index;  // lb points into `after`, which is read again
  after = co_await netlink::list_links();
  BOOST_TEST(named(*after, "vxlan100")->master == bridge_index);
  BOOST_TEST((named(*after, "br100")->mac == br.mac));
}

BROOD_RT_TEST(a_vxlan_port_on_a_bridge_made_read_and_changed) { co_await vxlan_on_a_bridge(); }

// The outer UDP checksum as brood makes it (off, both families) and as another made it (on):
// read back as it is, so that a device with checksums is told apart from brood's.
static rt::task<void> vxlan_checksums() {
  if (!test::netns_lab::available()) BROOD_SKIP("needs root and ip netns");
  test::netns_lab lab("bvc");
  BOOST_REQUIRE(co_await lab.add("x"));
  const auto x = lab.name("x");
  BOOST_REQUIRE(co_await lab.sh("set -e; ip -n " + x + " link add vx-csum4 type vxlan id 7 local 10.100.0.2 dstport 4789 udpcsum; ip -n " +
                                x + " link add vx-csum6 type vxlan id 8 local fd00::2 dstport 4789 noudp6zerocsumtx noudp6zerocsumrx"));
  test::in_netns in(x);
  BOOST_REQUIRE(in.ok());
  netlink::new_link v6;
  v6.name = "vxlan9";
  v6.kind = "vxlan";
  v6.vxlan = netlink::vxlan_settings{};
  v6.vxlan->vni = 9;
  v6.vxlan->local = *net::ip_prefix::parse("fd00::2/128");
  auto made = co_await netlink::create_link(v6);
  BOOST_REQUIRE_MESSAGE(made.has_value(), made.error().message());
  auto all = co_await netlink::list_links();
  BOOST_REQUIRE(all.has_value());
  const auto *c4 = named(*all, "vx-csum4"), *c6 = named(*all, "vx-csum6"), *b6 = named(*all, "vxlan9");
  BOOST_REQUIRE((c4 && c6 && b6 && c4->vxlan && c6->vxlan && b6->vxlan));
  BOOST_TEST(c4->vxlan->udp_checksum);
  BOOST_TEST(c6->vxlan->udp_checksum);
  BOOST_TEST(!b6->vxlan->udp_checksum);
  BOOST_TEST((*b6->vxlan == *v6.vxlan));
  BOOST_TEST(co_await lab.sh("ip -n " + x + " -d link show vxlan9 | grep -q ' udp6zerocsumtx udp6zerocsumrx'"));
}

BROOD_RT_TEST(a_vxlan_outer_checksum_is_made_off_and_read_as_it_is) { co_await vxlan_checksums(); }

BOOST_AUTO_TEST_SUITE_END()
