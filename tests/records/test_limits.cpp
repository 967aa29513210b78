// Sizes and overlay addresses: a 100-node, 10-vlan brood with realistic IPv4+IPv6 endpoints
// fits every per-record and per-name limit; the limits are actually enforced; TXT splitting
// at 255 bytes; overlay addresses are deterministic, distinct, avoid the reserved addresses,
// and resolve collisions by the documented rule.
#include "records/fixture.hpp"

#include <brood/dns/message.hpp>

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>

#include <set>

using namespace brood;
using namespace brood::records;

BOOST_AUTO_TEST_SUITE(records_limits)

BOOST_AUTO_TEST_CASE(a_100_node_10_vlan_brood_fits_every_limit) {
  test::brood_fixture b(100, 10);
  names n("brood.example");
  auto set = build_record_set(b.state, n, b.scout);
  // _meta, 16 _n shards, _vl, 16 _m shards × 10 vlans, _t, _l.
  BOOST_TEST(set.by_name().size() == 1u + 16u + 1u + 160u + 1u + 1u);
  // Headers: 16 + 1 + 160 + 1; members: 100 nodes, 10 vlans, 1,000 memberships; one _l.
  BOOST_TEST(set.record_count() == 1u + (16u + 100u) + (1u + 10u) + (160u + 1000u) + 1u + 1u);
  auto v = check_limits(set);
  BOOST_TEST(!v.has_value(), (v ? v->owner + ": " + std::to_string(v->size) : ""));
  std::size_t largest_record = 0, largest_set = 0;
  for (auto& [owner, texts] : set.by_name()) {
    largest_set = std::max(largest_set, set_content_chars(texts));
    for (auto& t : texts) largest_record = std::max(largest_record, txt_rdata_bytes(t));
  }
  BOOST_TEST_MESSAGE("largest record " << largest_record << " bytes, largest name " << largest_set << " characters");
  BOOST_TEST(largest_record < max_record_rdata);
  BOOST_TEST(largest_set < max_set_content);
  // The node records' size: under 400 characters each (docs/records.md §2 sizes the shards on it).
  for (auto& t : set.by_name().at(n.node_shard("0")))
    if (!is_set_header(t)) BOOST_TEST(t.size() < 400u);
}

BOOST_AUTO_TEST_CASE(limits_are_enforced) {
  record_set one;
  one.add("_x.brood.example", std::string(4096, 'a'));  // 4,096 + 17 length bytes
  auto v = check_limits(one);
  BOOST_REQUIRE(v.has_value());
  BOOST_TEST((v->reason == error::too_large));
  BOOST_TEST(v->size == 4096u + 17u);

  record_set many;
  for (int i = 0; i < 40; ++i) many.add("_y.brood.example", std::string(210, 'b'));  // 40 × 212
  v = check_limits(many);
  BOOST_REQUIRE(v.has_value());
  BOOST_TEST((v->reason == error::set_too_large));
  BOOST_TEST(v->size == 40u * 212u);

  // 500 nodes in 16 shards overflow a shard; the writer finds out before writing anything.
  test::brood_fixture big(500, 0);
  auto set = build_record_set(big.state, names("brood.example"), big.scout);
  v = check_limits(set);
  BOOST_REQUIRE(v.has_value());
  BOOST_TEST((v->reason == error::set_too_large));
  BOOST_TEST(v->owner.starts_with("_n."));
  // With 256 shards it fits.
  big.state.meta.shards = 256;
  BOOST_TEST(!check_limits(build_record_set(big.state, names("brood.example"), big.scout)).has_value());
}

BOOST_AUTO_TEST_CASE(txt_strings_split_at_255_bytes) {
  std::string text(700, 'x');
  auto parts = dns::split_txt(text);
  BOOST_TEST(parts.size() == 3u);
  BOOST_TEST(parts[0].size() == 255u);
  BOOST_TEST(parts[2].size() == 190u);
  BOOST_TEST(txt_rdata_bytes(text) == 703u);
  BOOST_TEST(txt_rdata_bytes(std::string(255, 'x')) == 256u);
  BOOST_TEST(txt_rdata_bytes(std::string(256, 'x')) == 258u);
  record_set s;
  s.add("_a.brood.example", "v=1 q=\"x\\");
  BOOST_TEST(zone_text(s, 60) == "_a.brood.example. 60 TXT \"v=1 q=\\\"x\\\\\"\n");
}

namespace {
std::uint32_t host_order(const std::string& ip) {
  in_addr a{};
  inet_pton(AF_INET, ip.c_str(), &a);
  return ntohl(a.s_addr);
}
}  // namespace

BOOST_AUTO_TEST_CASE(overlay_addresses) {
  // Golden: candidate 0 of the golden node key in 10.77.0.0/16, spelled out from the rule.
  auto node = test::seeded(32);
  auto c0 = overlay_candidate(node.pk(), "10.77.0.0/16", 0);
  BOOST_REQUIRE(c0.has_value());
  BOOST_TEST(*c0 == "10.77.152.223");  // the worked example of docs/records.md §5
  BOOST_TEST(*overlay_candidate(node.pk(), "10.77.0.0/16", 1) == "10.77.141.10");
  auto none = [](std::string_view) { return false; };
  BOOST_TEST(*overlay_ip(node.pk(), "10.77.0.0/16", none) == *c0);

  // 1,000 nodes in a /16: all distinct, none reserved, all inside.
  std::set<std::string> taken;
  for (unsigned i = 0; i < 1000; ++i) {
    auto ip = overlay_ip(test::numbered(i).pk(), "10.77.0.0/16", [&](std::string_view a) { return taken.count(std::string(a)) > 0; });
    BOOST_REQUIRE(ip.has_value());
    auto h = host_order(*ip);
    BOOST_TEST((h >= host_order("10.77.0.2") && h <= host_order("10.77.255.254")));
    BOOST_TEST(taken.insert(*ip).second);
  }

  // A collision: find two keys whose first candidate is the same in a /28, admit them in
  // either order; the second always gets its own candidate 1 (or later), deterministically.
  std::map<std::string, unsigned> first;
  unsigned a = 0, b = 0;
  for (unsigned i = 0; i < 200 && b == 0; ++i) {
    auto c = *overlay_candidate(test::numbered(i).pk(), "10.9.0.0/28", 0);
    if (auto it = first.find(c); it != first.end()) a = it->second, b = i;
    else first[c] = i;
  }
  BOOST_REQUIRE(b != 0u);
  auto ka = test::numbered(a).pk(), kb = test::numbered(b).pk();
  auto ipa = *overlay_ip(ka, "10.9.0.0/28", none);
  auto ipb = *overlay_ip(kb, "10.9.0.0/28", [&](std::string_view x) { return x == ipa; });
  BOOST_TEST(ipa != ipb);
  unsigned i = 1;
  while (*overlay_candidate(kb, "10.9.0.0/28", i) == ipa) ++i;
  BOOST_TEST(ipb == *overlay_candidate(kb, "10.9.0.0/28", i));
  BOOST_TEST(ipb == *overlay_ip(kb, "10.9.0.0/28", [&](std::string_view x) { return x == ipa; }));  // again

  // A full /28: 13 usable addresses (.2 … .14), the 14th node gets none.
  std::set<std::string> small;
  auto in_small = [&](std::string_view x) { return small.count(std::string(x)) > 0; };
  for (unsigned k = 0; k < 13; ++k) {
    auto ip = overlay_ip(test::numbered(k).pk(), "10.9.0.0/28", in_small);
    BOOST_REQUIRE(ip.has_value());
    BOOST_TEST(small.insert(*ip).second);
  }
  BOOST_TEST(small.count("10.9.0.0") == 0u);
  BOOST_TEST(small.count("10.9.0.1") == 0u);
  BOOST_TEST(small.count("10.9.0.15") == 0u);
  BOOST_TEST((overlay_ip(test::numbered(13).pk(), "10.9.0.0/28", in_small).error() ==
              std::errc::address_not_available));
  BOOST_TEST((overlay_ip(ka, "10.9.0.1/28", none).error() == std::errc::invalid_argument));
}

BOOST_AUTO_TEST_SUITE_END()
