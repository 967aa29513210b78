// A whole brood over real DNS: a 100-node, 10-vlan record set written into knotd's zone, read
// back by read_view through DoH (unbound, and dnsdist) on one connection, verified and
// decrypted; then a newer state; then forged and replayed records served by the same
// servers, which the reader refuses while keeping what it had.
#include "records/fixture.hpp"
#include "support/dns_lab.hpp"
#include "support/rt_test.hpp"

#include <brood/records/view_reader.hpp>

#include <algorithm>

using namespace brood;
using namespace brood::records;

BOOST_AUTO_TEST_SUITE(records_doh)

namespace {
const names n("brood.test");

std::string list(const std::vector<problem>& p) {
  std::string s;
  for (auto& x : p) s += x.owner + ": " + x.reason.message() + "; ";
  return s;
}
bool has(const std::vector<problem>& p, std::error_code e) {
  return std::any_of(p.begin(), p.end(), [&](const problem& x) { return x.reason == e; });
}
}  // namespace

static rt::task<void> whole_brood(bool via_dnsdist) {
  test::brood_fixture b(100, 10);
  auto first = build_record_set(b.state, n, b.scout);
  BOOST_REQUIRE(!check_limits(first).has_value());
  test::dns_lab lab(zone_text(first, 60));
  bool started = co_await lab.start();
  if (!started) BROOD_SKIP("knotd, unbound or dnsdist did not start (packages knot, unbound, dnsdist)");
  auto doh = lab.client(via_dnsdist, via_dnsdist);  // dnsdist with GET, unbound with POST

  const auto self = b.nodes[5].pk();
  trust_store t;
  t.scouts = {b.scout.pk()};
  t.keys = {b.state.key};
  view v;
  auto r = co_await read_view(*doh, n, self, t, v);
  BOOST_TEST(r.problems.empty(), list(r.problems));
  // _meta, _vl, _l, 16 _n shards; then the 10 own _m shards the first wave revealed.
  BOOST_TEST(r.queries == 29u);
  BOOST_TEST(r.round_trips == 2u);
  BOOST_TEST(doh->stats().connections_opened == 1u);
  BOOST_TEST(v.nodes().size() == 100u);
  for (auto& node : b.state.nodes) {
    auto* got = v.find_node(node.pk);
    BOOST_REQUIRE(got);
    BOOST_TEST((*got == node));
  }
  BOOST_REQUIRE(v.vlans.has_value());
  BOOST_TEST(v.vlans->members.size() == 10u);
  auto mine = v.memberships(self);
  BOOST_TEST(mine.size() == 10u);
  BOOST_TEST(mine[104] == "10.200.4.7");
  BOOST_TEST_MESSAGE("full read: " << r.queries << " queries, " << r.answer_bytes << " bytes");

  // A newer state: node 7 moved, node 9 removed. One wave now, and the diff says exactly that.
  auto moved = b.state.nodes[7].pk, removed = b.state.nodes[9].pk;
  b.state.nodes[7].endpoints = {"198.51.100.77:40001"};
  b.state.nodes.erase(b.state.nodes.begin() + 9);
  b.state.ts += 1000;
  b.state.meta.ts += 1000;
  for (auto& node : b.state.nodes) node.ts += 1000;
  bool replaced = co_await lab.replace_zone(zone_text(build_record_set(b.state, n, b.scout), 60));
  BOOST_REQUIRE(replaced);
  view before = v;
  r = co_await read_view(*doh, n, self, t, v);
  BOOST_TEST(r.problems.empty(), list(r.problems));
  BOOST_TEST(r.round_trips == 1u);
  BOOST_TEST(r.queries == 29u);
  auto d = diff(before, v, self);
  BOOST_TEST((d.nodes_changed == std::vector<crypto::public_key>{moved}));
  BOOST_TEST((d.nodes_removed == std::vector<crypto::public_key>{removed}));
  BOOST_TEST(d.vlans_changed.empty());
  BOOST_TEST(d.memberships_changed.empty());

  // Replayed: yesterday's records, which still hold node 9 and node 7's old endpoint.
  replaced = co_await lab.replace_zone(zone_text(first, 60));
  BOOST_REQUIRE(replaced);
  before = v;
  r = co_await read_view(*doh, n, self, t, v);
  BOOST_TEST(has(r.problems, error::replayed), list(r.problems));
  BOOST_TEST(diff(before, v, self).empty());
  BOOST_TEST(!v.find_node(removed));
  BOOST_TEST(v.find_node(moved)->endpoints == std::vector<std::string>{"198.51.100.77:40001"});

  // Forged: today's records plus a peer signed by an unknown key and a record whose signature
  // was broken. The header's digest no longer matches, so every member's own signature is
  // checked: the two intruders are refused, the rest still counts.
  auto forged = build_record_set(b.state, n, b.scout);
  auto thief = test::seeded(200);
  node_record fake = b.state.nodes[0];
  fake.pk = test::numbered(4242).pk();
  fake.ts = b.state.ts + 5000;
  const auto fake_owner = n.node_shard(shard_of(fake.pk, 16));
  forged.add(fake_owner, encode(fake, fake_owner, b.state.key, thief));
  const auto victim_owner = n.node_shard(shard_of(b.state.nodes[1].pk, 16));
  auto broken = encode(b.state.nodes[1], victim_owner, b.state.key, b.scout);
  broken.replace(broken.size() - 10, 10, "AAAAAAAAAA");
  forged.add(victim_owner, broken);
  replaced = co_await lab.replace_zone(zone_text(forged, 60));
  BOOST_REQUIRE(replaced);
  before = v;
  r = co_await read_view(*doh, n, self, t, v);
  BOOST_TEST(has(r.problems, error::untrusted), list(r.problems));
  BOOST_TEST(!has(r.problems, error::withheld), list(r.problems));
  BOOST_TEST(diff(before, v, self).empty());
  BOOST_TEST(!v.find_node(fake.pk));
  BOOST_TEST(v.nodes().size() == 99u);

  // DNS gone: every query fails, and nothing is taken away.
  co_await lab.stop();
  read_options quick;
  quick.timeout = std::chrono::milliseconds(300);
  r = co_await read_view(*doh, n, self, t, v, quick);
  BOOST_TEST(r.problems.size() == r.queries);
  BOOST_TEST(v.nodes().size() == 99u);
  BOOST_TEST(v.memberships(self).size() == 10u);
  co_await doh->close();
}

BROOD_RT_TEST(a_100_node_brood_through_unbound_and_knot) { co_await whole_brood(false); }
BROOD_RT_TEST(a_100_node_brood_through_dnsdist_and_knot) { co_await whole_brood(true); }

BOOST_AUTO_TEST_SUITE_END()
