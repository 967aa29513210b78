// routing_plan: the FRR configuration from the view and the mesh plan — a worker's sessions to
// every scout, a scout's reflection for every member with each client's vlans, sessions only
// with the mesh plan's peers (a node excluded from WireGuard has none), nothing without an ASN.
#include <brood/agent/routing_plan.hpp>
#include <brood/records/names.hpp>

#include "support/identity.hpp"

#include <boost/test/unit_test.hpp>

using namespace brood;

BOOST_AUTO_TEST_SUITE(routing_plan)

namespace {
struct routing_fixture {
  crypto::identity s1 = test::identity_of(1), s2 = test::identity_of(5);
  crypto::identity a = test::identity_of(3), b = test::identity_of(4);
  records::view v;
  agent::plan everyone;  // the mesh plan with every other node a peer
  routing_fixture() {
    records::meta_record m;
    m.asn = 65000;
    m.subnet = "10.100.0.0/16";
    m.scouts = {s1.pk(), s2.pk()};
    v.meta = m;
    v.node_shards["0"].members = {{s1.pk(), "scout", "10.100.0.1", {}, 1},
                                  {s2.pk(), "scout", "10.100.0.5", {}, 1},
                                  {a.pk(), "worker", "10.100.0.3", {}, 1},
                                  {b.pk(), "worker", "10.100.0.4", {}, 1}};
    v.vlans.emplace();
    v.vlans->members = {{100, "blue", "10.200.0.0/24", 1}, {200, "green", "10.201.0.0/24", 1}};
    member(100, a, "10.200.0.3");
    member(200, a, "10.201.0.3");
    member(200, b, "10.201.0.4");
  }
  void member(std::uint32_t vni, const crypto::identity& id, const char* ip) {
    v.members[vni][records::shard_of(id.pk(), 16)].members.push_back({id.pk(), ip, 1});
  }
  agent::plan peers_of(const crypto::identity& self) const {
    agent::plan p;
    for (auto* n : {&s1, &s2, &a, &b})
      if (n->pk() != self.pk()) p.peers.push_back({n->id10(), v.find_node(n->pk())->ip, {}});
    return p;
  }
};
}  // namespace

BOOST_FIXTURE_TEST_CASE(a_worker_peers_with_every_scout_and_no_worker, routing_fixture) {
  auto c = agent::plan_routing(v, a.pk(), peers_of(a), "host-a");
  BOOST_REQUIRE(c.has_value());
  BOOST_TEST(c->asn == 65000u);
  BOOST_TEST(c->router_id == "10.100.0.3");
  BOOST_TEST(c->hostname == "host-a");
  BOOST_TEST(!c->route_reflector);
  BOOST_REQUIRE_EQUAL(c->neighbors.size(), 2u);
  BOOST_TEST(c->neighbors[0].address == "10.100.0.1");
  BOOST_TEST(c->neighbors[1].address == "10.100.0.5");
  BOOST_TEST(!c->neighbors[0].client);
  BOOST_TEST(c->neighbors[0].description == "scout " + s1.id10());
}

BOOST_FIXTURE_TEST_CASE(a_scout_reflects_each_member_its_own_vlans, routing_fixture) {
  auto c = agent::plan_routing(v, s1.pk(), peers_of(s1));
  BOOST_REQUIRE(c.has_value());
  BOOST_TEST(c->route_reflector);
  BOOST_REQUIRE_EQUAL(c->neighbors.size(), 3u);
  const auto& scout = c->neighbors[0];
  BOOST_TEST((scout.address == "10.100.0.5" && !scout.client));
  BOOST_TEST((c->neighbors[1].client && c->neighbors[1].vnis == std::vector<std::uint32_t>{100, 200}));
  BOOST_TEST((c->neighbors[2].client && c->neighbors[2].vnis == std::vector<std::uint32_t>{200}));
  BOOST_TEST(c->neighbors[1].name == a.id10());
  // A vlan deleted from _vl: its memberships no longer open any route target.
  v.vlans->members.erase(v.vlans->members.begin());
  c = agent::plan_routing(v, s1.pk(), peers_of(s1));
  BOOST_TEST((c->neighbors[1].vnis == std::vector<std::uint32_t>{200}));
}

BOOST_FIXTURE_TEST_CASE(a_node_left_out_of_the_mesh_has_no_session, routing_fixture) {
  auto mesh = peers_of(s1);
  std::erase_if(mesh.peers, [&](const agent::planned_peer& p) { return p.id10 == b.id10(); });  // stale
  mesh.peers.push_back({"", "10.100.0.99", {}});  // kept from the device, unknown to the view
  auto c = agent::plan_routing(v, s1.pk(), mesh);
  BOOST_REQUIRE(c.has_value());
  BOOST_REQUIRE_EQUAL(c->neighbors.size(), 2u);
  for (auto& n : c->neighbors) BOOST_TEST((n.address != "10.100.0.4" && n.address != "10.100.0.99"));
}

BOOST_FIXTURE_TEST_CASE(a_peer_on_a_taken_address_gets_no_session, routing_fixture) {
  v.node_shards["0"].members[3].ip = "10.100.0.1";  // b claims the scout's address
  auto c = agent::plan_routing(v, s1.pk(), peers_of(s1));
  BOOST_REQUIRE(c.has_value());
  BOOST_TEST(c->neighbors.size() == 2u);  // s2 and a; not b, whose address is this node's
  v.node_shards["0"].members[3].ip = "10.100.0.3";  // b claims a's
  c = agent::plan_routing(v, s1.pk(), peers_of(s1));
  BOOST_TEST(c->neighbors.size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(no_config_without_an_asn_or_an_own_record, routing_fixture) {
  auto no_asn = v;
  no_asn.meta->asn = 0;
  BOOST_TEST(!agent::plan_routing(no_asn, a.pk(), peers_of(a)).has_value());
  BOOST_TEST(!agent::plan_routing(v, test::identity_of(9).pk(), peers_of(a)).has_value());
  records::view empty;
  BOOST_TEST(!agent::plan_routing(empty, a.pk(), peers_of(a)).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
