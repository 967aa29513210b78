// The agent's pure parts: the peer plan (who is a peer, with which key, address and endpoint;
// the liveness rule and its fail-static side), node_state's file form, the status table, and
// the configuration's checks.
#include <brood/agent/config.hpp>
#include <brood/agent/node_state.hpp>
#include <brood/agent/peer_plan.hpp>
#include <brood/agent/status_table.hpp>

#include "support/identity.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>

using namespace brood;

BOOST_AUTO_TEST_SUITE(agent_units)

namespace {
struct brood_fixture {
  crypto::identity scout = test::identity_of(1), self = test::identity_of(2);
  crypto::identity a = test::identity_of(3), b = test::identity_of(4);
  records::view v;
  brood_fixture() {
    records::meta_record m;
    m.subnet = "10.100.0.0/16";
    m.keepalive = 30;
    m.scouts = {scout.pk()};
    v.meta = m;
    auto& shard = v.node_shards["0"];
    shard.members = {{scout.pk(), "scout", "10.100.0.1", {"10.99.1.2:51820"}, 1},
                     {self.pk(), "worker", "10.100.0.2", {"10.99.2.2:51820"}, 1},
                     {a.pk(), "worker", "10.100.0.3", {"10.99.3.2:51820", "[2001:db8::3]:51820"}, 1},
                     {b.pk(), "worker", "10.100.0.4", {}, 1}};
  }
  agent::plan plan(std::int64_t now = 1'000'000, const wg::device* current = nullptr, bool complete = true,
                   const std::map<std::string, std::vector<std::string>>* announced = nullptr) const {
    agent::plan_input in;
    in.view = &v;
    in.self = self.pk();
    in.private_key.fill(7);
    in.now_ms = now;
    in.current = current;
    in.view_complete = complete;
    in.announced_before = announced;
    return agent::make_plan(in);
  }
  wg::key wg_of(const crypto::identity& id) const {
    auto k = crypto::wireguard_public_key(id.pk());
    wg::key out;
    std::copy(k->begin(), k->end(), out.begin());
    return out;
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(every_other_node_is_a_peer) {
  brood_fixture f;
  auto p = f.plan();
  BOOST_REQUIRE(p.address.has_value());
  BOOST_TEST(p.address->to_string() == "10.100.0.2/16");
  BOOST_TEST(p.device.listen_port == 51820);
  BOOST_REQUIRE(p.device.peers.size() == 3u);
  BOOST_REQUIRE(p.peers.size() == 3u);
  const auto* pa = p.device.find(f.wg_of(f.a));
  BOOST_REQUIRE(pa);
  BOOST_TEST(pa->allowed_ips.size() == 1u);
  BOOST_TEST(pa->allowed_ips[0].to_string() == "10.100.0.3/32");
  BOOST_TEST(pa->endpoint->to_string() == "10.99.3.2:51820");  // the first it announced
  BOOST_TEST(pa->keepalive == 25);
  const auto* pb = p.device.find(f.wg_of(f.b));
  BOOST_REQUIRE(pb);
  BOOST_TEST(!pb->endpoint);  // none announced: it will have to reach us first
  BOOST_TEST(!p.device.find(f.wg_of(f.self)));
}

BOOST_AUTO_TEST_CASE(a_roamed_endpoint_among_those_announced_stays) {
  brood_fixture f;
  wg::device now;
  wg::peer roamed;
  roamed.public_key = f.wg_of(f.a);
  roamed.endpoint = *net::socket_address::parse("[2001:db8::3]:51820");
  now.peers.push_back(roamed);
  BOOST_TEST(f.plan(1'000'000, &now).device.find(f.wg_of(f.a))->endpoint->to_string() == "[2001:db8::3]:51820");
  // Somewhere it never announced: back to the announced one.
  now.peers[0].endpoint = *net::socket_address::parse("198.51.100.9:4000");
  BOOST_TEST(f.plan(1'000'000, &now).device.find(f.wg_of(f.a))->endpoint->to_string() == "10.99.3.2:51820");
}

BOOST_AUTO_TEST_CASE(a_live_session_keeps_its_roamed_endpoint_until_the_peer_announces_anew) {
  brood_fixture f;
  const std::int64_t now = 10'000'000;
  wg::device dev;
  wg::peer roamed;
  roamed.public_key = f.wg_of(f.a);
  roamed.endpoint = *net::socket_address::parse("198.51.100.9:4000");  // behind a NAT that rewrote the port
  roamed.last_handshake_ns = (now - 30'000) * 1'000'000;
  dev.peers.push_back(roamed);
  const std::map<std::string, std::vector<std::string>> same{{f.a.id10(), {"10.99.3.2:51820", "[2001:db8::3]:51820"}}};
  BOOST_TEST(f.plan(now, &dev, true, &same).device.find(f.wg_of(f.a))->endpoint->to_string() == "198.51.100.9:4000");
  // It announced something new: that wins.
  const std::map<std::string, std::vector<std::string>> older{{f.a.id10(), {"10.99.3.9:51820"}}};
  BOOST_TEST(f.plan(now, &dev, true, &older).device.find(f.wg_of(f.a))->endpoint->to_string() == "10.99.3.2:51820");
  // The session is over (no handshake for more than 180 s): back to what it announced.
  dev.peers[0].last_handshake_ns = (now - 181'000) * 1'000'000;
  BOOST_TEST(f.plan(now, &dev, true, &same).device.find(f.wg_of(f.a))->endpoint->to_string() == "10.99.3.2:51820");
}

BOOST_AUTO_TEST_CASE(before_a_complete_read_nothing_is_taken_away) {
  brood_fixture f;
  wg::device dev;
  wg::peer stranger;  // on the device, not (yet) in the view: a restart with DNS down
  stranger.public_key.fill(0x55);
  stranger.allowed_ips = {*net::ip_prefix::parse("10.100.9.9/32")};
  dev.peers.push_back(stranger);
  auto p = f.plan(1'000'000, &dev, false);
  BOOST_TEST(p.device.peers.size() == 4u);  // the view's three and the one it does not know
  BOOST_TEST(wg::diff(dev, p.device).remove_peers.empty());
  BOOST_TEST(p.peers.back().id10.empty());
  // Without even _meta: the device as it is.
  f.v.meta.reset();
  p = f.plan(1'000'000, &dev, false);
  BOOST_TEST(p.device.peers.size() == 1u);
  auto c = wg::diff(dev, p.device);
  BOOST_TEST((c.remove_peers.empty() && c.set_peers.empty()));  // only the device's own key and port
  // Once a whole read is done, the view decides.
  f.v.meta.emplace();
  f.v.meta->subnet = "10.100.0.0/16";
  f.v.meta->scouts = {f.scout.pk()};
  BOOST_TEST(wg::diff(dev, f.plan(1'000'000, &dev, true).device).remove_peers.size() == 1u);
}

BOOST_AUTO_TEST_CASE(down_only_on_fresh_evidence_from_every_scout) {
  brood_fixture f;
  const std::int64_t now = 10'000'000;
  const auto id_a = f.a.id10();
  auto& record = f.v.liveness[f.scout.id10()]["00000000000000aa"];
  record = {f.scout.id10(), "00000000000000aa", {id_a}, now - 30'000};
  auto p = f.plan(now);
  BOOST_TEST(p.device.peers.size() == 2u);
  BOOST_TEST((p.excluded == std::vector<std::string>{id_a}));
  // Evidence older than 3 × keepalive (90 s): nobody is judged, a comes back.
  record.ts = now - 91'000;
  p = f.plan(now);
  BOOST_TEST(p.device.peers.size() == 3u);
  BOOST_TEST(p.excluded.empty());
  // A second scout without evidence: not down either (every scout must say so).
  record.ts = now;
  auto second = test::identity_of(9);
  f.v.meta->scouts.push_back(second.pk());
  BOOST_TEST(f.plan(now).device.peers.size() == 3u);
}

// The scouts' only evidence lists every other node (an expired certificate, a scout clock off,
// a flooded API: nobody's heartbeat got through) while this node's own sessions to them are
// alive: every peer stays (the review's C2 test a).
BOOST_AUTO_TEST_CASE(a_live_session_is_never_excluded) {
  brood_fixture f;
  const std::int64_t now = 10'000'000;
  std::vector<std::string> everyone{f.scout.id10(), f.a.id10(), f.b.id10()};
  std::sort(everyone.begin(), everyone.end());
  f.v.liveness[f.scout.id10()]["00000000000000aa"] = {f.scout.id10(), "00000000000000aa", everyone, now - 1000};
  wg::device dev;
  for (auto* id : {&f.scout, &f.a, &f.b}) {
    wg::peer p;
    p.public_key = f.wg_of(*id);
    p.last_handshake_ns = (now - 10'000) * 1'000'000;
    dev.peers.push_back(p);
  }
  auto p = f.plan(now, &dev);
  BOOST_TEST(p.device.peers.size() == 3u);
  BOOST_TEST(p.excluded.empty());
  BOOST_TEST(p.kept_alive.size() == 3u);
  // A session that ended more than 180 s ago is no evidence of life: a alone may go.
  dev.peers[1].last_handshake_ns = (now - 181'000) * 1'000'000;
  p = f.plan(now, &dev);
  BOOST_TEST((p.excluded == std::vector<std::string>{f.a.id10()}));
  BOOST_TEST(p.device.peers.size() == 2u);
}

// Evidence that would take most peers away at once excludes none: a few dead hosts look
// different from a control plane that lost its heartbeats.
BOOST_AUTO_TEST_CASE(liveness_may_not_exclude_most_peers_at_once) {
  brood_fixture f;
  const std::int64_t now = 10'000'000;
  std::vector<std::string> two{f.a.id10(), f.b.id10()};
  std::sort(two.begin(), two.end());
  f.v.liveness[f.scout.id10()]["00000000000000aa"] = {f.scout.id10(), "00000000000000aa", two, now - 1000};
  auto p = f.plan(now);  // 2 of 3 peers, cap 1
  BOOST_TEST(p.excluded.empty());
  BOOST_TEST(p.device.peers.size() == 3u);
  BOOST_TEST(!p.liveness_refused.empty());
  f.v.liveness[f.scout.id10()]["00000000000000aa"].down = {f.b.id10()};
  p = f.plan(now);
  BOOST_TEST((p.excluded == std::vector<std::string>{f.b.id10()}));
  BOOST_TEST(p.liveness_refused.empty());
}

// Two nodes written with one overlay address (two scouts approving at once, say): the lower pk
// keeps it on every node and every pass, so a device read back and planned again needs no
// change — no AllowedIPs flapping (the review's M3).
BOOST_AUTO_TEST_CASE(two_nodes_on_one_address_resolve_the_same_way_every_time) {
  brood_fixture f;
  auto& members = f.v.node_shards["0"].members;
  members[3].ip = members[2].ip;  // b takes a's address
  auto p = f.plan();
  BOOST_TEST(p.device.peers.size() == 2u);
  BOOST_TEST(p.duplicate_ip.size() == 1u);
  const auto& winner = f.a.pk() < f.b.pk() ? f.a : f.b;
  BOOST_TEST(p.device.find(f.wg_of(winner)) != nullptr);
  wg::device applied = p.device;  // as the device reads back after the change
  for (int pass = 0; pass < 3; ++pass) {
    auto again = f.plan(1'000'000 + pass, &applied);
    auto change = wg::diff(applied, again.device);
    BOOST_TEST((change.set_peers.empty() && change.remove_peers.empty()));
  }
  // The same view in the other order: the same holder.
  std::swap(members[2], members[3]);
  BOOST_TEST(f.plan().device.find(f.wg_of(winner)) != nullptr);
}

BOOST_AUTO_TEST_CASE(unusable_records_are_left_out) {
  brood_fixture f;
  f.v.node_shards["0"].members[2].ip = "not-an-ip";
  auto p = f.plan();
  BOOST_TEST(p.device.peers.size() == 2u);
  BOOST_TEST((p.unusable == std::vector<std::string>{f.a.id10()}));
  // Without _meta there is no plan at all (and so nothing is removed from what is there).
  f.v.meta.reset();
  BOOST_TEST(f.plan().device.peers.empty());
}

BOOST_AUTO_TEST_CASE(node_state_round_trip) {
  agent::node_state s;
  crypto::secret_key k1, k2, k3;
  k1.fill(1);
  k2.fill(2);
  k3.fill(3);
  s.add_key({1, k1});
  s.add_key({2, k2});
  s.add_key({2, k3});  // the same kv again: ignored
  BOOST_TEST(s.kv() == 2u);
  BOOST_TEST((s.ring() == std::vector<crypto::secret_key>{k2, k1}));
  s.add_key({3, k3});  // the newest two are kept
  BOOST_TEST((s.ring() == std::vector<crypto::secret_key>{k3, k2}));
  s.scouts = {test::identity_of(1).pk()};
  auto back = agent::node_state::from_json(s.to_json());
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((back->keys == s.keys));
  BOOST_TEST((back->scouts == s.scouts));
  for (const char* bad : {"", "{}", "[]", R"({"keys":[{"kv":0,"key":"AA"}],"scouts":[]})",
                          R"({"keys":[{"kv":1,"key":"short"}],"scouts":[]})", R"({"keys":[],"scouts":["x"]})"})
    BOOST_TEST(!agent::node_state::from_json(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(status_table) {
  auto j = json::parse(R"({"id":"0123456789","phase":"running","ip":"10.100.0.2","kv":3,"domain":"brood.lab",
    "interface":"wg0","backend":"wireguard-go","endpoints":["10.99.2.2:51820"],"nat":"endpoint-independent",
    "syncs":4,"sync_failures":1,"watch":"connected","pushes":2,"scout":"s:8443",
    "peers":[{"id":"abcdefabcd","ip":"10.100.0.3","endpoint":"10.99.3.2:51820","last_handshake_ms":0,
              "rx_bytes":10,"tx_bytes":20}],"errors":["1 sync: x"],
    "vlans":[{"vni":100,"bridge":"br100","ip":"10.200.0.2/24","remote_vteps":["10.100.0.3","10.100.0.4"],"remote_macs":5}],
    "vlan_problems":["vlan 7: 10.9.0.1 is not in 10.7.0.0/24"],
    "frr":{"state":"applied","sessions":[{"peer":"10.100.0.1","bgp":"Established","bfd":"up","prefixes":12}]}})");
  BOOST_REQUIRE(j.has_value());
  auto t = agent::render_status(*j);
  BOOST_TEST(t.find("node 0123456789  running  ip 10.100.0.2  kv 3") != std::string::npos, t);
  BOOST_TEST(t.find("abcdefabcd  10.100.0.3       10.99.3.2:51820") != std::string::npos, t);
  BOOST_TEST(t.find("never") != std::string::npos);
  BOOST_TEST(t.find("recent errors") != std::string::npos);
  BOOST_TEST(t.find("100       br100       10.200.0.2/24       10.100.0.3,10.100.0.4             5") != std::string::npos, t);
  BOOST_TEST(t.find("vlan: vlan 7: 10.9.0.1 is not in") != std::string::npos, t);
  BOOST_TEST(t.find("frr applied") != std::string::npos, t);
  BOOST_TEST(t.find("10.100.0.1       Established  up     12") != std::string::npos, t);
  // Missing fields print as "-", never crash.
  BOOST_TEST(agent::render_status(*json::parse("{}")).find("node -") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(configuration_names_the_bad_variable) {
  ::setenv("BROOD_DOMAIN", "brood.lab", 1);
  std::string why;
  auto c = agent::config_from_env(&why);
  BOOST_REQUIRE_MESSAGE(c.has_value(), why);
  BOOST_TEST(c->wg_port == 51820);
  BOOST_TEST(c->sync_interval.count() == 30000);
  BOOST_TEST(c->watch);
  ::setenv("BROOD_STUN", "10.0.0.1:3478,nope", 1);
  BOOST_TEST(!agent::config_from_env(&why).has_value());
  BOOST_TEST(why.starts_with("BROOD_STUN"), why);
  ::unsetenv("BROOD_STUN");
  ::setenv("BROOD_SYNC_INTERVAL", "10ms", 1);
  BOOST_TEST(!agent::config_from_env(&why).has_value());
  BOOST_TEST(why.starts_with("BROOD_SYNC_INTERVAL"), why);
  ::unsetenv("BROOD_SYNC_INTERVAL");
  ::setenv("BROOD_DOH", "http://plain", 1);
  BOOST_TEST(!agent::config_from_env(&why).has_value());
  BOOST_TEST(why.starts_with("BROOD_DOH"), why);
  ::unsetenv("BROOD_DOH");
  ::unsetenv("BROOD_DOMAIN");
  BOOST_TEST(!agent::config_from_env(&why).has_value());
  BOOST_TEST(why.starts_with("BROOD_DOMAIN"), why);
}

BOOST_AUTO_TEST_SUITE_END()
