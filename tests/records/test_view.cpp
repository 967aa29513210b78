// Folding answers into a view, offline: a whole brood read back; then each way a reader can be
// lied to — withheld, forged (unknown scout), tampered, replayed, an unpinned scout set — and
// each time the view keeps what it had and names the reason. Scout-set changes under pins, key
// rotation, and the diff a sync applies.
#include "records/fixture.hpp"

#include <brood/records/view_update.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace brood;
using namespace brood::records;

BOOST_AUTO_TEST_SUITE(records_view)

namespace {
const names n("brood.example");

/// Folds every name of `set` into `v` the way read_view does (_meta, then _vl, then the rest),
/// reading `self`'s own _m shards.
std::vector<problem> fold_all(const record_set& set, view& v, trust_store& t, const crypto::public_key& self) {
  std::vector<problem> p;
  auto get = [&](const std::string& owner) {
    auto it = set.by_name().find(owner);
    return it == set.by_name().end() ? texts{} : it->second;
  };
  apply_meta(v, t, n, get(n.meta()), p);
  apply_vlans(v, t, n, get(n.vlans()), p);
  for (auto& s : all_shards(16)) apply_node_shard(v, t, n, s, get(n.node_shard(s)), p);
  if (v.vlans)
    for (auto& vl : v.vlans->members)
      apply_member_shard(v, t, n, shard_of(self, 16), vl.vni, get(n.member_shard(shard_of(self, 16), vl.vni)), p);
  return p;
}

bool has(const std::vector<problem>& p, error e) {
  return std::any_of(p.begin(), p.end(), [&](const problem& x) { return x.reason == e; });
}

std::string list(const std::vector<problem>& p) {
  std::string s;
  for (auto& x : p) s += x.owner + ": " + x.reason.message() + "; ";
  return s;
}

/// The newer state after the first node of `shard` is removed (every record re-signed later, a
/// new generation): the removed node's key.
crypto::public_key remove_first_of(test::brood_fixture& b, const std::string& shard) {
  std::size_t gone = 0;
  while (shard_of(b.state.nodes[gone].pk, 16) != shard) ++gone;
  const auto removed = b.state.nodes[gone].pk;
  b.state.nodes.erase(b.state.nodes.begin() + static_cast<std::ptrdiff_t>(gone));
  b.state.ts += 1000;
  b.state.gen += 1;
  return removed;
}

/// A shard label that holds at least two nodes in `b`.
std::string busy_shard(const test::brood_fixture& b) {
  std::map<std::string, int> count;
  for (auto& node : b.state.nodes) ++count[shard_of(node.pk, 16)];
  for (auto& [s, c] : count)
    if (c >= 2) return s;
  return {};
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_whole_brood_reads_back) {
  test::brood_fixture b(30, 3);
  trust_store t;  // not admitted yet: trusts the scouts _meta lists
  t.keys = {b.state.key};
  view v;
  auto p = fold_all(build_record_set(b.state, n, b.scout), v, t, b.nodes[5].pk());
  BOOST_TEST(p.empty(), list(p));
  BOOST_TEST(v.nodes().size() == 30u);
  BOOST_REQUIRE(v.find_node(b.nodes[7].pk()));
  BOOST_TEST((*v.find_node(b.nodes[7].pk()) == b.state.nodes[7]));
  BOOST_REQUIRE(v.vlans.has_value());
  BOOST_TEST(v.vlans->members.size() == 3u);
  auto mine = v.memberships(b.nodes[5].pk());
  BOOST_TEST(mine.size() == 3u);
  BOOST_TEST(mine[101] == "10.200.1.7");
}

BOOST_AUTO_TEST_CASE(withheld_forged_and_tampered_records_change_nothing) {
  test::brood_fixture b(30, 0);
  trust_store t;
  t.scouts = {b.scout.pk()};
  t.keys = {b.state.key};
  view v;
  auto good = build_record_set(b.state, n, b.scout);
  BOOST_REQUIRE(fold_all(good, v, t, b.nodes[0].pk()).empty());
  const auto shard = busy_shard(b);
  BOOST_REQUIRE(!shard.empty());
  const auto owner = n.node_shard(shard);
  const auto before = v.node_shards.at(shard).members;
  auto answer = good.by_name().at(owner);

  // Withheld: a resolver drops one member. The digest no longer matches, and only a matching
  // digest can remove anything.
  auto withheld = answer;
  withheld.erase(std::find_if(withheld.begin(), withheld.end(), [](auto& x) { return !is_set_header(x); }));
  std::vector<problem> p;
  apply_node_shard(v, t, n, shard, withheld, p);
  BOOST_TEST(has(p, error::incomplete), list(p));
  BOOST_TEST((v.node_shards.at(shard).members == before));

  // Forged: a DNS-provider token thief adds a peer, and a header counting it, under its own key.
  auto thief = test::seeded(200);
  node_record fake = b.state.nodes[0];
  fake.pk = test::numbered(9999).pk();
  fake.ts += 1;
  auto forged = answer;
  forged.push_back(encode(fake, owner, b.state.key, thief));
  p.clear();
  apply_node_shard(v, t, n, shard, forged, p);
  BOOST_TEST(has(p, error::untrusted), list(p));
  BOOST_TEST(!v.find_node(fake.pk));

  // An empty answer or a missing header (fail static: nothing is removed).
  p.clear();
  apply_node_shard(v, t, n, shard, {}, p);
  BOOST_TEST(has(p, error::no_header));
  BOOST_TEST((v.node_shards.at(shard).members == before));

  // A tampered record is not counted, so the shard is short and kept as it was.
  auto tampered = answer;
  for (auto& x : tampered)
    if (!is_set_header(x)) {
      x.replace(x.find(" ts="), 5, " ts=2");
      break;
    }
  p.clear();
  apply_node_shard(v, t, n, shard, tampered, p);
  BOOST_TEST(has(p, error::untrusted), list(p));
  BOOST_TEST((v.node_shards.at(shard).members == before));

  // A member filed under another shard's name (re-signed by the real scout: still refused).
  auto other = shard == "0" ? std::string("1") : std::string("0");
  p.clear();
  auto misplaced = good.by_name().at(n.node_shard(other));
  misplaced.push_back(encode(v.node_shards.at(shard).members.front(), n.node_shard(other), b.state.key, b.scout));
  apply_node_shard(v, t, n, other, misplaced, p);
  BOOST_TEST(has(p, error::misfiled), list(p));
}

BOOST_AUTO_TEST_CASE(replayed_old_records_are_refused) {
  test::brood_fixture b(20, 2);
  trust_store t;
  t.scouts = {b.scout.pk()};
  t.keys = {b.state.key};
  auto old_set = build_record_set(b.state, n, b.scout);
  // A newer state: node 3 removed, every record re-signed later.
  auto removed = b.state.nodes[3].pk;
  b.state.nodes.erase(b.state.nodes.begin() + 3);
  b.state.ts += 1000;
  b.state.meta.ts += 1000;
  b.state.gen += 1;
  for (auto& node : b.state.nodes) node.ts += 1000;
  auto new_set = build_record_set(b.state, n, b.scout);

  view v;
  BOOST_REQUIRE(fold_all(new_set, v, t, b.nodes[0].pk()).empty());
  BOOST_TEST(!v.find_node(removed));
  auto p = fold_all(old_set, v, t, b.nodes[0].pk());  // a resolver replays yesterday's answers
  BOOST_TEST(has(p, error::replayed), list(p));
  BOOST_TEST(!v.find_node(removed));
  BOOST_TEST(v.nodes().size() == 19u);
  BOOST_TEST(v.meta->ts == b.state.meta.ts);
  // A _meta with a lower kv is refused even with a newer ts.
  auto m = b.state.meta;
  m.kv = 0;
  m.ts += 1;
  std::vector<problem> q;
  apply_meta(v, t, n, {encode(m, n.meta(), b.scout)}, q);
  BOOST_TEST(has(q, error::replayed), list(q));
  BOOST_TEST(v.meta->kv == 1u);
}

BOOST_AUTO_TEST_CASE(a_partial_answer_never_brings_back_or_drops_a_node) {
  test::brood_fixture b(40, 0);
  trust_store t;
  t.scouts = {b.scout.pk()};
  t.keys = {b.state.key};
  const auto shard = busy_shard(b);
  const auto owner = n.node_shard(shard);
  std::vector<std::size_t> in_shard;
  for (std::size_t i = 0; i < b.state.nodes.size(); ++i)
    if (shard_of(b.state.nodes[i].pk, 16) == shard) in_shard.push_back(i);
  BOOST_REQUIRE(in_shard.size() >= 2u);
  const auto z = b.state.nodes[in_shard[0]];  // removed below
  const auto a = b.state.nodes[in_shard[1]];
  auto old_set = build_record_set(b.state, n, b.scout);
  const auto z_text = *std::find_if(old_set.by_name().at(owner).begin(), old_set.by_name().at(owner).end(),
                                    [&](auto& x) { return x.find(crypto::base64url(z.pk)) != std::string::npos; });
  b.state.nodes.erase(b.state.nodes.begin() + static_cast<std::ptrdiff_t>(in_shard[0]));
  b.state.ts += 1000;
  auto new_set = build_record_set(b.state, n, b.scout);

  view v;
  BOOST_REQUIRE(fold_all(new_set, v, t, b.nodes[0].pk()).empty());
  BOOST_REQUIRE(!v.find_node(z.pk));
  // Today's header and members plus Z's old record: Z stays out.
  auto mixed = new_set.by_name().at(owner);
  mixed.push_back(z_text);
  std::vector<problem> p;
  apply_node_shard(v, t, n, shard, mixed, p);
  BOOST_TEST(has(p, error::replayed), list(p));
  BOOST_TEST(!v.find_node(z.pk));
  // The same, with A dropped to keep the count: A stays in, Z stays out.
  std::erase_if(mixed, [&](auto& x) { return x.find(crypto::base64url(a.pk)) != std::string::npos; });
  p.clear();
  apply_node_shard(v, t, n, shard, mixed, p);
  BOOST_TEST(v.find_node(a.pk) != nullptr);
  BOOST_TEST(!v.find_node(z.pk));

  // An honest write under way: a new member signed after the header held joins at once...
  node_record fresh = a;
  fresh.pk = test::numbered(7000).pk();
  for (std::uint32_t k = 7001; shard_of(fresh.pk, 16) != shard; ++k) fresh.pk = test::numbered(k).pk();
  fresh.ts = b.state.ts + 500;
  auto writing = new_set.by_name().at(owner);
  writing.push_back(encode(fresh, owner, b.state.key, b.scout));
  p.clear();
  apply_node_shard(v, t, n, shard, writing, p);
  BOOST_TEST(v.find_node(fresh.pk) != nullptr);
  BOOST_TEST(!v.node_shards.at(shard).complete);
  // ...and when the complete set under the same header comes back (the write was undone), it
  // is taken as it is: a merged set is never mistaken for an unchanged one.
  p.clear();
  apply_node_shard(v, t, n, shard, new_set.by_name().at(owner), p);
  BOOST_TEST(p.empty(), list(p));
  BOOST_TEST(!v.find_node(fresh.pk));
  BOOST_TEST(v.node_shards.at(shard).complete);
}

BOOST_AUTO_TEST_CASE(a_deleted_vlan_takes_its_memberships_along) {
  test::brood_fixture b(6, 2);
  trust_store t;
  t.scouts = {b.scout.pk()};
  t.keys = {b.state.key};
  const auto self = b.nodes[2].pk();
  auto before_set = build_record_set(b.state, n, b.scout);
  view v;
  BOOST_REQUIRE(fold_all(before_set, v, t, self).empty());
  BOOST_TEST(v.memberships(self).size() == 2u);
  b.state.vlans.pop_back();  // vlan 101 deleted
  b.state.ts += 1000;
  auto after_set = build_record_set(b.state, n, b.scout);
  std::vector<problem> p;
  apply_vlans(v, t, n, after_set.by_name().at(n.vlans()), p);
  // Its _m shard may linger in DNS; it does not bring the membership back.
  const auto mine = n.member_shard(shard_of(self, 16), 101);
  apply_member_shard(v, t, n, shard_of(self, 16), 101, before_set.by_name().at(mine), p);
  BOOST_TEST(has(p, error::no_such_vlan), list(p));
  BOOST_TEST((v.memberships(self) == std::map<std::uint32_t, std::string>{{100, "10.200.0.4"}}));
}

BOOST_AUTO_TEST_CASE(liveness_excludes_only_on_fresh_evidence_from_every_scout) {
  test::brood_fixture b(4, 0);
  auto second = test::seeded(100);
  trust_store t;
  t.scouts = {b.scout.pk(), second.pk()};
  view v;
  const std::string x = b.nodes[1].id10();
  std::vector<problem> p;
  const std::int64_t now = 1'010'000;
  auto write = [&](const crypto::identity& s, std::vector<std::string> down, std::int64_t ts) {
    return encode(liveness_record{s.id10(), "00000000000000aa", std::move(down), ts}, n.liveness(), s);
  };
  apply_liveness(v, t, n, {write(b.scout, {x}, 1'000'000)}, p, now);
  BOOST_TEST(!v.judged_down(x, 1'010'000, 60'000, t.scouts));  // the second scout has said nothing
  apply_liveness(v, t, n, {write(b.scout, {x}, 1'000'000), write(second, {}, 1'000'000)}, p, now);
  BOOST_TEST(!v.judged_down(x, 1'010'000, 60'000, t.scouts));  // it hears from x
  apply_liveness(v, t, n, {write(b.scout, {x}, 1'020'000), write(second, {x}, 1'020'000)}, p, now);
  BOOST_TEST(p.empty(), list(p));
  BOOST_TEST(v.judged_down(x, 1'030'000, 60'000, t.scouts));
  BOOST_TEST(!v.judged_down(x, 1'090'000, 60'000, t.scouts));  // evidence gone stale: fail static
  BOOST_TEST(!v.judged_down(b.nodes[2].id10(), 1'030'000, 60'000, t.scouts));
  // A scout speaking for another is refused; an old record is a replay.
  p.clear();
  apply_liveness(v, t, n, {encode(liveness_record{second.id10(), "00000000000000aa", {}, 1'040'000}, n.liveness(), b.scout),
                           write(second, {}, 1'000'000)}, p, now);
  BOOST_TEST(has(p, error::bad_value), list(p));
  BOOST_TEST(has(p, error::replayed), list(p));
  BOOST_TEST(v.judged_down(x, 1'030'000, 60'000, t.scouts));
}

// Two API processes of one scout each hear only the heartbeats sent to them: a node is down
// only if both say so, and each process's record stays its own (the review's C2 case 6).
BOOST_AUTO_TEST_CASE(liveness_counts_every_process_of_a_scout) {
  test::brood_fixture b(6, 0);
  trust_store t;
  t.scouts = {b.scout.pk()};
  view v;
  std::vector<problem> p;
  const std::string x = b.nodes[1].id10(), y = b.nodes[2].id10();
  auto write = [&](const char* proc, std::vector<std::string> down, std::int64_t ts) {
    std::sort(down.begin(), down.end());
    return encode(liveness_record{b.scout.id10(), proc, std::move(down), ts}, n.liveness(), b.scout);
  };
  // Process A heard y, not x; process B heard x, not y.
  apply_liveness(v, t, n, {write("000000000000000a", {x}, 1'000'000), write("000000000000000b", {y}, 1'000'000)}, p,
                 1'000'000);
  BOOST_TEST(p.empty(), list(p));
  BOOST_TEST(v.liveness.at(b.scout.id10()).size() == 2u);
  BOOST_TEST(!v.judged_down(x, 1'010'000, 60'000, t.scouts));
  BOOST_TEST(!v.judged_down(y, 1'010'000, 60'000, t.scouts));
  // Both lose x: down. B stops writing; once its record is stale, A's alone counts.
  apply_liveness(v, t, n, {write("000000000000000a", {x}, 1'020'000), write("000000000000000b", {x, y}, 1'020'000)}, p,
                 1'020'000);
  BOOST_TEST(v.judged_down(x, 1'030'000, 60'000, t.scouts));
  BOOST_TEST(!v.judged_down(y, 1'030'000, 60'000, t.scouts));
  apply_liveness(v, t, n, {write("000000000000000a", {y}, 1'070'000), write("000000000000000b", {x, y}, 1'020'000)}, p,
                 1'070'000);
  BOOST_TEST(v.judged_down(y, 1'090'000, 60'000, t.scouts));
  BOOST_TEST(!v.judged_down(x, 1'090'000, 60'000, t.scouts));
}

// A record written while the scout's clock ran ahead is refused and not remembered: once the
// clock is right again, its next record counts (the review's C2 case 3).
BOOST_AUTO_TEST_CASE(a_future_dated_liveness_record_is_refused) {
  test::brood_fixture b(4, 0);
  trust_store t;
  t.scouts = {b.scout.pk()};
  view v;
  std::vector<problem> p;
  const std::string x = b.nodes[1].id10();
  const std::int64_t now = 5'000'000;
  auto write = [&](std::vector<std::string> down, std::int64_t ts) {
    return encode(liveness_record{b.scout.id10(), "00000000000000aa", std::move(down), ts}, n.liveness(), b.scout);
  };
  apply_liveness(v, t, n, {write({x}, now + 91'000)}, p, now);
  BOOST_TEST(has(p, error::bad_value), list(p));
  BOOST_TEST(v.liveness.empty());
  BOOST_TEST(!v.judged_down(x, now, 270'000, t.scouts));
  p.clear();
  apply_liveness(v, t, n, {write({}, now)}, p, now);
  BOOST_TEST(p.empty(), list(p));
  BOOST_TEST(v.liveness.at(b.scout.id10()).at("00000000000000aa").ts == now);
  // Held evidence never counts once it lies ahead of the reader's clock (the clock went back).
  apply_liveness(v, t, n, {write({x}, now + 1000)}, p, now + 1000);
  BOOST_TEST(v.judged_down(x, now + 2000, 270'000, t.scouts));
  BOOST_TEST(!v.judged_down(x, now - 120'000, 270'000, t.scouts));
}

// A token thief's texts beside a set — garbage, or a record under its own key — are set aside
// and the set is still read whole, so a reader can still take a removed node away.
BOOST_AUTO_TEST_CASE(forged_texts_beside_a_set_leave_it_complete) {
  test::brood_fixture b(30, 0);
  trust_store t;
  t.scouts = {b.scout.pk()};
  t.keys = {b.state.key};
  const auto shard = busy_shard(b);
  const auto owner = n.node_shard(shard);
  view v;
  BOOST_REQUIRE(fold_all(build_record_set(b.state, n, b.scout), v, t, b.nodes[0].pk()).empty());
  // The newer state: one node of the shard removed.
  const auto removed = remove_first_of(b, shard);
  auto answer = build_record_set(b.state, n, b.scout).by_name().at(owner);
  answer.push_back("v=1 x=1 sig=" + std::string(86, 'A'));
  node_record fake = b.state.nodes[0];
  fake.pk = test::numbered(9999).pk();
  answer.push_back(encode(fake, owner, b.state.key, test::seeded(200)));
  std::vector<problem> p;
  apply_node_shard(v, t, n, shard, answer, p);
  BOOST_TEST(!v.find_node(removed));
  BOOST_TEST(!v.find_node(fake.pk));
  BOOST_TEST(v.node_shards.at(shard).complete);
  BOOST_TEST(std::all_of(p.begin(), p.end(), [](auto& x) { return x.ignored; }), list(p));
  BOOST_TEST(v.node_shards.at(shard).texts.size() == v.node_shards.at(shard).members.size());
}

// A token thief's headers dated ahead, listed before the real one: the newest header that
// verifies wins whatever order they come in (the old reader checked the first 4 headers of each
// answer only, so 4 forgeries hid every removal from it for good).
BOOST_AUTO_TEST_CASE(forged_headers_dated_ahead_never_hide_the_real_one) {
  test::brood_fixture b(30, 0);
  trust_store t;
  t.scouts = {b.scout.pk()};
  t.keys = {b.state.key};
  const auto shard = busy_shard(b);
  const auto owner = n.node_shard(shard);
  view v;
  BOOST_REQUIRE(fold_all(build_record_set(b.state, n, b.scout), v, t, b.nodes[0].pk()).empty());
  const auto removed = remove_first_of(b, shard);
  const auto real = build_record_set(b.state, n, b.scout).by_name().at(owner);
  texts answer;
  const auto thief = test::seeded(201);
  for (int i = 0; i < 12; ++i)
    answer.push_back(encode(set_header{set_kind::nodes, 0, b.state.gen + 100, members_digest({}), b.state.ts + 10'000 + i},
                            owner, thief));
  answer.insert(answer.end(), real.begin(), real.end());
  std::vector<problem> p;
  // At most 8 new header signatures are checked per answer, each forgery once ever: the real
  // header is reached within two answers.
  for (int i = 0; i < 2 && v.find_node(removed); ++i) {
    p.clear();
    apply_node_shard(v, t, n, shard, answer, p);
  }
  BOOST_TEST(!v.find_node(removed), list(p));
  BOOST_TEST(v.node_shards.at(shard).complete);
  BOOST_TEST(v.node_shards.at(shard).members.size() == std::size_t{v.node_shards.at(shard).header.count});
}

// An older record of a member — re-signed since, or from before a rotation, so its box no longer
// opens — put back beside a complete set is a replay: set aside, and the set is still whole, so
// a removal still goes through (the old reader took the set for incomplete and kept everyone).
BOOST_AUTO_TEST_CASE(a_replayed_record_beside_a_set_leaves_it_complete) {
  test::brood_fixture b(30, 0);
  trust_store t;
  t.scouts = {b.scout.pk()};
  t.keys = {b.state.key};
  const auto shard = busy_shard(b);
  const auto owner = n.node_shard(shard);
  view v;
  const auto before = build_record_set(b.state, n, b.scout).by_name().at(owner);
  BOOST_REQUIRE(fold_all(build_record_set(b.state, n, b.scout), v, t, b.nodes[0].pk()).empty());
  // A rotation: every record re-signed later under a new key, and one node of the shard gone.
  const auto removed = remove_first_of(b, shard);
  b.state.key = crypto::random_secret_key();
  t.keys = {b.state.key};  // the reader follows the rotation: the old key is gone
  auto answer = build_record_set(b.state, n, b.scout).by_name().at(owner);
  // Every old member text of the shard put back, the removed node's included.
  for (auto& text : before)
    if (!is_set_header(text)) answer.push_back(text);
  std::vector<problem> p;
  apply_node_shard(v, t, n, shard, answer, p);
  BOOST_TEST(!v.find_node(removed), list(p));
  BOOST_TEST(v.node_shards.at(shard).complete);
  BOOST_TEST(!has(p, error::incomplete), list(p));
  BOOST_TEST(has(p, error::replayed), list(p));

  // Without a rotation (the record still opens): another member removed, its record put back.
  const auto held = v.node_shards.at(shard).texts;
  const auto second = remove_first_of(b, shard);
  answer = build_record_set(b.state, n, b.scout).by_name().at(owner);
  for (auto& text : held)
    if (text.find(crypto::base64url(second)) != std::string::npos) answer.push_back(text);
  p.clear();
  apply_node_shard(v, t, n, shard, answer, p);
  BOOST_TEST(!v.find_node(second), list(p));
  BOOST_TEST(v.node_shards.at(shard).complete);
}

// A token thief copies a shard's new header into a shard read before it: refused there (its
// signature covers its own name), and still accepted where it belongs (the old refusal memory
// was keyed by the text alone, so the copy made the real header refused unchecked).
BOOST_AUTO_TEST_CASE(a_header_copied_to_another_name_is_still_accepted_at_its_own) {
  test::brood_fixture b(40, 0);
  trust_store t;
  t.scouts = {b.scout.pk()};
  t.keys = {b.state.key};
  view v;
  BOOST_REQUIRE(fold_all(build_record_set(b.state, n, b.scout), v, t, b.nodes[0].pk()).empty());
  const auto shard = busy_shard(b);
  const auto removed = remove_first_of(b, shard);
  const auto newer = build_record_set(b.state, n, b.scout);
  const auto& real = newer.by_name().at(n.node_shard(shard));
  const auto header = *std::find_if(real.begin(), real.end(), [](auto& x) { return is_set_header(x); });
  const std::string other = shard == "0" ? "1" : "0";
  auto decoy = newer.by_name().at(n.node_shard(other));
  decoy.push_back(header);
  std::vector<problem> p;
  apply_node_shard(v, t, n, other, decoy, p);
  apply_node_shard(v, t, n, shard, real, p);
  BOOST_TEST(!v.find_node(removed), list(p));
  BOOST_TEST(v.node_shards.at(shard).complete);
}

// Junk beside a set, read by a reader that holds nothing yet (a new node, a restarted scout):
// the set is read whole all the same; and a member that joined since the header a reader holds
// joins with junk beside it (the first version of the replay rule set both aside).
BOOST_AUTO_TEST_CASE(junk_beside_a_set_stops_neither_a_fresh_reader_nor_a_join) {
  test::brood_fixture b(30, 0);
  trust_store t;
  t.scouts = {b.scout.pk()};
  t.keys = {b.state.key};
  const auto shard = busy_shard(b);
  const auto owner = n.node_shard(shard);
  auto answer = build_record_set(b.state, n, b.scout).by_name().at(owner);
  answer.push_back("v=1 x=1 sig=" + std::string(86, 'A'));
  view fresh;
  std::vector<problem> p;
  apply_meta(fresh, t, n, build_record_set(b.state, n, b.scout).by_name().at(n.meta()), p);
  apply_node_shard(fresh, t, n, shard, answer, p);
  BOOST_REQUIRE(fresh.node_shards.count(shard));
  BOOST_TEST(fresh.node_shards.at(shard).complete, list(p));
  BOOST_TEST(fresh.node_shards.at(shard).members.size() == std::size_t{fresh.node_shards.at(shard).header.count});

  // X joins the shard (a new header); the answer carries junk beside it.
  node_record x = b.state.nodes[0];
  x.pk = test::numbered(7100).pk();
  for (std::uint32_t k = 7101; shard_of(x.pk, 16) != shard; ++k) x.pk = test::numbered(k).pk();
  x.ts = b.state.ts + 500;
  b.state.nodes.push_back(x);
  b.state.ts += 1000;
  b.state.gen += 1;
  answer = build_record_set(b.state, n, b.scout).by_name().at(owner);
  answer.push_back("v=1 x=2 sig=" + std::string(86, 'B'));
  p.clear();
  apply_node_shard(fresh, t, n, shard, answer, p);
  BOOST_TEST(fresh.find_node(x.pk) != nullptr, list(p));
  BOOST_TEST(fresh.node_shards.at(shard).complete);
}

// A reader that missed a node's join and removal (it held a header from before both) is shown
// the header after the removal plus the node's old record: the record is older than the newest
// header, so it stays out (the review's M1).
BOOST_AUTO_TEST_CASE(a_partial_answer_joins_only_after_the_newest_header) {
  test::brood_fixture b(30, 0);
  trust_store t;
  t.scouts = {b.scout.pk()};
  t.keys = {b.state.key};
  const auto shard = busy_shard(b);
  const auto owner = n.node_shard(shard);
  view v;
  BOOST_REQUIRE(fold_all(build_record_set(b.state, n, b.scout), v, t, b.nodes[0].pk()).empty());  // S1
  // S2: node X joins the shard.
  node_record x = b.state.nodes[0];
  x.pk = test::numbered(7000).pk();
  for (std::uint32_t k = 7001; shard_of(x.pk, 16) != shard; ++k) x.pk = test::numbered(k).pk();
  x.ts = b.state.ts + 1000;
  const auto x_text = encode(x, owner, b.state.key, b.scout);
  // S3: X removed again, the shard re-signed later still.
  b.state.ts += 2000;
  b.state.gen += 2;
  auto s3 = build_record_set(b.state, n, b.scout).by_name().at(owner);
  // S3's header with one member dropped (so the digest fails) plus X's old record.
  std::erase_if(s3, [&, dropped = false](const std::string& text) mutable {
    if (dropped || is_set_header(text)) return false;
    return dropped = true;
  });
  s3.push_back(x_text);
  std::vector<problem> p;
  apply_node_shard(v, t, n, shard, s3, p);
  BOOST_TEST(has(p, error::replayed), list(p));
  BOOST_TEST(!v.find_node(x.pk));
}

// Texts beside a valid _meta (garbage, a stranger's record) are ignored, not problems of the
// read, and however many there are, only a few signatures are checked.
BOOST_AUTO_TEST_CASE(junk_beside_a_valid_meta_is_ignored) {
  test::brood_fixture b(4, 0);
  trust_store t;
  t.scouts = {b.scout.pk()};
  view v;
  texts answer{"v=1 junk=1"};
  auto m = b.state.meta;
  auto stranger = test::seeded(150);
  for (int i = 0; i < 400; ++i) {  // the review's L4: verifying each of these would cost ~40 ms
    auto forged = m;
    forged.ts = m.ts + 10 + i;
    forged.scouts = {stranger.pk()};
    answer.push_back(encode(forged, n.meta(), stranger));
  }
  answer.push_back(encode(m, n.meta(), b.scout));
  std::vector<problem> p;
  apply_meta(v, t, n, answer, p);
  // The stranger's records claim newer ts than the real one, so they are checked first and the
  // check budget runs out: the view keeps no _meta rather than spend 400 verifications...
  BOOST_TEST(!v.meta.has_value());
  BOOST_TEST(has(p, error::untrusted), list(p));
  // ...but each forgery is checked once ever: answer after answer the budget moves on to those
  // not refused yet, and the real record is reached (the old reader checked the same 8 forgeries
  // every time and never got there: a token thief froze _meta).
  int answers = 1;
  while (!v.meta && answers < 40) {
    p.clear();
    apply_meta(v, t, n, answer, p);
    ++answers;
  }
  BOOST_REQUIRE(v.meta.has_value());
  BOOST_TEST(v.meta->ts == m.ts);
  BOOST_TEST(answers <= 400 / 32 + 2);
  // Held now: the same answer again finds it first, whatever the forgeries claim.
  p.clear();
  apply_meta(v, t, n, answer, p);
  BOOST_TEST(v.meta->ts == m.ts);
  // With the real record newest, it is found at once and the rest ignored.
  answer.push_back(encode(records::meta_record{m.asn, m.subnet, m.bgp, m.kv, m.keepalive, m.stale, m.shards, m.scouts,
                                               m.ts + 1000},
                          n.meta(), b.scout));
  p.clear();
  apply_meta(v, t, n, answer, p);
  BOOST_REQUIRE(v.meta.has_value());
  BOOST_TEST(v.meta->ts == m.ts + 1000);
  BOOST_TEST(p.empty(), list(p));
}

// The replay memory a reader persists refuses after a restart what it refused before: the
// complete set from before node Y joined (the review's H6).
BOOST_AUTO_TEST_CASE(replay_memory_survives_a_restart) {
  test::brood_fixture b(20, 1);
  trust_store t;
  t.scouts = {b.scout.pk()};
  t.keys = {b.state.key};
  auto s1 = build_record_set(b.state, n, b.scout);
  b.state.nodes.push_back(b.state.nodes[0]);
  b.state.nodes.back().pk = test::numbered(5000).pk();
  b.state.nodes.back().ip = "10.77.200.200";
  b.state.ts += 1000;
  b.state.meta.ts += 1000;
  b.state.gen += 1;
  auto s2 = build_record_set(b.state, n, b.scout);
  view v;
  BOOST_REQUIRE(fold_all(s2, v, t, b.nodes[0].pk()).empty());
  const auto gen = t.generation();
  BOOST_TEST(gen > 0u);

  // A restarted reader: the same pins and keys, and the memory it saved.
  trust_store fresh;
  fresh.scouts = t.scouts;
  fresh.keys = t.keys;
  fresh.restore(t.memory());
  view v2;
  auto p = fold_all(s1, v2, fresh, b.nodes[0].pk());
  BOOST_TEST(has(p, error::replayed), list(p));
  BOOST_TEST(v2.nodes().empty());
  BOOST_TEST(!v2.meta.has_value());
  p = fold_all(s2, v2, fresh, b.nodes[0].pk());
  BOOST_TEST(p.empty(), list(p));
  BOOST_TEST(v2.nodes().size() == 21u);
  // Without it, the old set would have been taken.
  trust_store forgetful;
  forgetful.scouts = t.scouts;
  forgetful.keys = t.keys;
  view v3;
  BOOST_TEST(fold_all(s1, v3, forgetful, b.nodes[0].pk()).empty());
  BOOST_TEST(v3.nodes().size() == 20u);
}

BOOST_AUTO_TEST_CASE(the_scout_set_changes_only_by_a_pinned_scout) {
  test::brood_fixture b(4, 0);
  auto second = test::seeded(100), stranger = test::seeded(150);
  trust_store t;
  t.scouts = {b.scout.pk()};
  view v;
  std::vector<problem> p;
  auto m = b.state.meta;
  // A stranger's _meta listing itself: refused while pinned (it would be accepted unpinned).
  m.scouts = {stranger.pk()};
  m.ts += 1;
  apply_meta(v, t, n, {encode(m, n.meta(), stranger)}, p);
  BOOST_TEST(has(p, error::untrusted));
  BOOST_TEST(!v.meta.has_value());
  trust_store fresh;
  std::vector<problem> none;
  view v2;
  apply_meta(v2, fresh, n, {encode(m, n.meta(), stranger)}, none);
  BOOST_TEST(none.empty());
  BOOST_TEST(fresh.scouts.empty());  // first use does not pin: the agent pins at admission

  // The pinned scout adds a second scout: accepted, and the pins follow.
  m.scouts = {b.scout.pk(), second.pk()};
  m.ts += 1;
  p.clear();
  apply_meta(v, t, n, {encode(m, n.meta(), b.scout)}, p);
  BOOST_TEST(p.empty(), list(p));
  BOOST_TEST(t.scouts.size() == 2u);
  // The second scout, now pinned, retires the first.
  m.scouts = {second.pk()};
  m.ts += 1;
  apply_meta(v, t, n, {encode(m, n.meta(), second)}, p);
  BOOST_TEST(p.empty(), list(p));
  BOOST_TEST((t.scouts == std::vector<crypto::public_key>{second.pk()}));
  // The retired scout can no longer sign anything that counts.
  m.scouts = {b.scout.pk()};
  m.ts += 1;
  apply_meta(v, t, n, {encode(m, n.meta(), b.scout)}, p);
  BOOST_TEST(has(p, error::untrusted));
  BOOST_TEST((v.meta->scouts == std::vector<crypto::public_key>{second.pk()}));
}

BOOST_AUTO_TEST_CASE(rotation_and_diff) {
  test::brood_fixture b(12, 2);
  trust_store t;
  t.scouts = {b.scout.pk()};
  t.keys = {b.state.key};
  const auto self = b.nodes[1].pk();
  view before;
  BOOST_REQUIRE(fold_all(build_record_set(b.state, n, b.scout), before, t, self).empty());

  // Re-signed with the same content: nothing to apply.
  view same = before;
  b.state.ts += 10;
  BOOST_REQUIRE(fold_all(build_record_set(b.state, n, b.scout), same, t, self).empty());
  BOOST_TEST(diff(before, same, self).empty());

  // Rotation: node 4 removed, a new key (kv 2), an endpoint changed, a vlan added, self's IP in
  // vlan 100 changed. A reader with only the old key keeps its view; with the new key first in
  // its ring it sees exactly the changes.
  auto removed = b.state.nodes[4].pk;
  b.state.nodes.erase(b.state.nodes.begin() + 4);
  b.state.key = test::filled_key(0x5a);
  b.state.meta.kv = 2;
  b.state.meta.ts += 20;
  b.state.ts += 20;
  b.state.nodes[0].endpoints[0] = "203.0.113.250:40000";
  b.state.vlans.push_back({300, "green", "10.201.0.0/24", b.state.ts});
  b.state.members[300].push_back({self, "10.201.0.9", b.state.ts});
  for (auto& m : b.state.members[100])
    if (m.pk == self) m.ip = "10.200.0.99";
  auto rotated = build_record_set(b.state, n, b.scout);

  view stale = same;
  auto p = fold_all(rotated, stale, t, self);
  BOOST_TEST(has(p, error::cannot_decrypt));
  BOOST_TEST(stale.nodes().size() == 12u);  // old key only: nothing taken away

  t.keys = {b.state.key, test::filled_key(0xa5)};
  view after = same;
  p = fold_all(rotated, after, t, self);
  BOOST_TEST(p.empty(), list(p));
  auto d = diff(same, after, self);
  BOOST_TEST(d.meta_changed);
  BOOST_TEST((d.nodes_removed == std::vector<crypto::public_key>{removed}));
  BOOST_TEST((d.nodes_changed == std::vector<crypto::public_key>{b.state.nodes[0].pk}));
  BOOST_TEST(d.nodes_added.empty());
  BOOST_TEST((d.vlans_added == std::vector<std::uint32_t>{300}));
  BOOST_TEST((d.memberships_changed == std::vector<std::uint32_t>{100, 300}));
}

BOOST_AUTO_TEST_SUITE_END()
