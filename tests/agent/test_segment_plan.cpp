// segment_plan: which vlan devices a node wants from the view — only its own memberships, each
// with its address and the vlan's prefix, the overlay address as VTEP, a MAC from its id10;
// nothing may go until _vl and every own _m shard were read; bad or duplicate addresses are
// refused with a reason.
#include <brood/agent/segment_plan.hpp>
#include <brood/records/names.hpp>

#include "support/identity.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdio>

using namespace brood;

BOOST_AUTO_TEST_SUITE(segment_plan)

namespace {
struct vlan_fixture {
  crypto::identity self = test::identity_of(2), other = test::identity_of(3);
  records::view v;
  vlan_fixture() {
    records::meta_record m;
    m.subnet = "10.100.0.0/16";
    m.scouts = {test::identity_of(1).pk()};
    v.meta = m;
    v.node_shards["0"].members = {{self.pk(), "worker", "10.100.0.2", {}, 1}, {other.pk(), "worker", "10.100.0.3", {}, 1}};
    v.vlans.emplace();
    v.vlans->members = {{200, "green", "10.201.0.0/24", 1}, {100, "blue", "10.200.0.0/24", 1}, {300, "red", "fd00:30::/64", 1}};
    member(100, self, "10.200.0.10", 5);
    member(200, self, "10.201.0.7", 5);
    member(300, other, "fd00:30::3", 5);
    v.members[300][shard(self)];  // read: this node is not in vlan 300
  }
  std::string shard(const crypto::identity& id) const { return records::shard_of(id.pk(), 16); }
  void member(std::uint32_t vni, const crypto::identity& id, std::string ip, std::int64_t ts) {
    v.members[vni][shard(id)].members.push_back({id.pk(), std::move(ip), ts});
  }
};
}  // namespace

BOOST_FIXTURE_TEST_CASE(a_node_wants_a_segment_per_vlan_it_is_a_member_of, vlan_fixture) {
  auto p = agent::plan_segments(v, self.pk());
  BOOST_TEST(p.complete);
  BOOST_TEST(p.refused.empty());
  BOOST_REQUIRE_EQUAL(p.segments.size(), 2u);  // not vlan 300: another node's
  const auto& a = p.segments[0];
  BOOST_TEST(a.vni == 100u);
  BOOST_TEST(a.vxlan == "vxlan100");
  BOOST_TEST(a.bridge == "br100");
  BOOST_TEST(a.svi.to_string() == "10.200.0.10/24");
  BOOST_TEST(a.vtep.to_string() == "10.100.0.2/32");
  const auto id = self.id10();
  char mac[18];
  std::snprintf(mac, sizeof mac, "%02x%02x%02x%02x%02x", a.mac[1], a.mac[2], a.mac[3], a.mac[4], a.mac[5]);
  BOOST_TEST(a.mac[0] == 0x02);
  BOOST_TEST(std::string(mac) == id);
  BOOST_TEST(p.segments[1].vni == 200u);
  BOOST_TEST((p.segments[1].mac == a.mac));  // one MAC per node
  BOOST_TEST(agent::is_segment_alias(agent::segment_alias(100)));
  BOOST_TEST(!agent::is_segment_alias(""));
}

BOOST_FIXTURE_TEST_CASE(nothing_may_go_before_every_own_shard_was_read, vlan_fixture) {
  v.members.erase(300);  // vlan 300's shard of ours: never answered
  auto p = agent::plan_segments(v, self.pk());
  BOOST_TEST(!p.complete);
  BOOST_TEST(p.segments.size() == 2u);  // what is known is still made
  records::view unread = v;
  unread.vlans.reset();
  BOOST_TEST(!agent::plan_segments(unread, self.pk()).complete);
  records::view not_a_member = v;
  not_a_member.node_shards.clear();
  auto none = agent::plan_segments(not_a_member, self.pk());
  BOOST_TEST((none.segments.empty() && !none.complete));
}

BOOST_FIXTURE_TEST_CASE(bad_addresses_are_refused_with_a_reason, vlan_fixture) {
  v.members[100][shard(self)].members[0].ip = "10.200.0.0";   // the network address
  v.members[200][shard(self)].members[0].ip = "10.9.0.1";     // outside the subnet
  auto p = agent::plan_segments(v, self.pk());
  BOOST_TEST(p.segments.empty());
  BOOST_REQUIRE_EQUAL(p.refused.size(), 2u);
  std::sort(p.refused.begin(), p.refused.end());
  BOOST_TEST(p.refused[0].find("vlan 100: 10.200.0.0 is not a host address") == 0u, p.refused[0]);
  BOOST_TEST(p.refused[1].find("vlan 200: 10.9.0.1 is not in 10.201.0.0/24") == 0u, p.refused[1]);
  BOOST_TEST(p.complete);  // the refused vlans' devices go: they are not planned
}

BOOST_FIXTURE_TEST_CASE(of_two_members_on_one_address_the_one_signed_first_keeps_it, vlan_fixture) {
  member(100, other, "10.200.0.10", 9);  // signed after ours: ours stands
  auto p = agent::plan_segments(v, self.pk());
  BOOST_TEST(p.segments.size() == 2u);
  BOOST_TEST(p.refused.empty());
  v.members[100][shard(other)].members.back().ts = 4;  // signed before ours
  p = agent::plan_segments(v, self.pk());
  BOOST_REQUIRE_EQUAL(p.segments.size(), 1u);
  BOOST_TEST(p.segments[0].vni == 200u);
  BOOST_REQUIRE_EQUAL(p.refused.size(), 1u);
  BOOST_TEST(p.refused[0].find("held by another member") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
