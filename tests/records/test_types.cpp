// Every record type against its golden vector in tests/data/records/ (docs/records.md §3):
// types without encryption must encode to the vector byte for byte; encrypted ones (n, vl, m,
// k — their nonces are random) must decode from it to the documented plaintext. One
// signature is checked by BoringSSL over canonical bytes spelled out by hand. Then the
// refusals, each with its reason.
//
// BROOD_WRITE_GOLDEN=1 rewrites the vectors (after a deliberate schema change only).
#include "records/fixture.hpp"

#include <brood/crypto/box.hpp>
#include <brood/records/names.hpp>

#include <openssl/curve25519.h>

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace brood;
using namespace brood::records;

BOOST_AUTO_TEST_SUITE(records_types)

namespace {
const names n("brood.example");
const auto scout = test::seeded(0);
const auto node = test::seeded(32);
const auto key = test::filled_key(0xa5);
const std::vector<crypto::public_key> scouts{scout.pk()};
const std::vector<crypto::secret_key> ring{key};

std::string golden(const std::string& type, const std::string& fresh) {
  const std::string path = std::string(BROOD_TEST_DATA "/records/") + type + ".txt";
  if (std::getenv("BROOD_WRITE_GOLDEN")) std::ofstream(path) << fresh << '\n';
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && s.back() == '\n') s.pop_back();
  BOOST_REQUIRE_MESSAGE(!s.empty(), "missing golden vector " << path);
  return s;
}

node_record sample_node() {
  return {node.pk(), "worker", "10.77.152.223", {"203.0.113.7:51820", "[2001:db8::7]:51820"}, test::golden_ts};
}
}  // namespace

BOOST_AUTO_TEST_CASE(names_and_shards) {
  BOOST_TEST(names("Brood.Example.").meta() == "_meta.brood.example");
  BOOST_TEST(n.node_shard("a") == "_n.a.brood.example");
  BOOST_TEST(n.key("0123456789") == "_k.0123456789._n.brood.example");
  BOOST_TEST(n.member_shard("f", 100) == "_m.f.100.brood.example");
  BOOST_TEST(shard_of(node.pk(), 16) == crypto::id10(node.pk()).substr(0, 1));
  BOOST_TEST(shard_of(node.pk(), 256) == crypto::id10(node.pk()).substr(0, 2));
  BOOST_TEST(all_shards(16).size() == 16u);
  BOOST_TEST(all_shards(256).back() == "ff");
}

BOOST_AUTO_TEST_CASE(n_record) {
  const auto owner = n.node_shard(shard_of(node.pk(), 16));
  auto text = golden("n", encode(sample_node(), owner, key, scout));
  auto d = decode_node(text, owner, scouts, ring);
  BOOST_REQUIRE_MESSAGE(d.has_value(), d.error().message());
  BOOST_TEST((*d == sample_node()));
  // The signature, checked independently over the documented canonical bytes.
  auto f = field_list::parse(text);
  BOOST_REQUIRE(f.has_value());
  const std::string canonical = "brood1\nn\n" + owner + "\nv=1\npk=" + crypto::base64url(node.pk()) +
                                "\nrole=worker\nip=10.77.152.223\nep=" + std::string(*f->get("ep")) +
                                "\nts=1763779200000\n";
  auto sig = crypto::from_base64url(*f->get("sig"));
  BOOST_REQUIRE(sig.has_value());
  BOOST_TEST(ED25519_verify(reinterpret_cast<const std::uint8_t*>(canonical.data()), canonical.size(),
                            reinterpret_cast<const std::uint8_t*>(sig->data()), scout.pk().data()) == 1);
  // A fresh encoding differs (new nonce) but decodes to the same record.
  auto again = encode(sample_node(), owner, key, scout);
  BOOST_TEST(again != text);
  BOOST_TEST((*decode_node(again, owner, scouts, ring) == sample_node()));
}

BOOST_AUTO_TEST_CASE(p_record) {
  pending_record p{node.pk(), "worker-7", {"203.0.113.7:51820"}, test::golden_ts};
  const auto owner = n.pending_shard(shard_of(node.pk(), 16));
  auto text = golden("p", encode(p, owner, node));
  BOOST_TEST(text == encode(p, owner, node));
  auto d = decode_pending(text, owner);
  BOOST_REQUIRE_MESSAGE(d.has_value(), d.error().message());
  BOOST_TEST((*d == p));
  // Signed by someone else than the key it names: refused.
  auto forged = encode(p, owner, scout);
  BOOST_TEST((decode_pending(forged, owner).error() == error::untrusted));
}

BOOST_AUTO_TEST_CASE(k_record) {
  const auto owner = n.key(node.id10());
  auto fresh = encode_key(3, key, node.pk(), test::golden_ts, owner, scout);
  BOOST_REQUIRE(fresh.has_value());
  auto text = golden("k", *fresh);
  auto d = decode_key(text, owner, scouts);
  BOOST_REQUIRE_MESSAGE(d.has_value(), d.error().message());
  BOOST_TEST(d->kv == 3u);
  auto opened = open_key(*d, node);
  BOOST_REQUIRE(opened.has_value());
  BOOST_TEST((*opened == key));
  BOOST_TEST((open_key(*d, test::seeded(64)).error() == error::cannot_decrypt));  // sealed to another node
}

BOOST_AUTO_TEST_CASE(vl_and_m_records) {
  vlan_record v{100, "blue", "10.200.0.0/24", test::golden_ts};
  auto vtext = golden("vl", encode(v, n.vlans(), key, scout));
  auto dv = decode_vlan(vtext, n.vlans(), scouts, ring);
  BOOST_REQUIRE_MESSAGE(dv.has_value(), dv.error().message());
  BOOST_TEST((*dv == v));

  member_record m{node.pk(), "10.200.0.7", test::golden_ts};
  const auto owner = n.member_shard(shard_of(node.pk(), 16), 100);
  auto mtext = golden("m", encode(m, owner, key, scout));
  auto dm = decode_member(mtext, owner, scouts, ring);
  BOOST_REQUIRE_MESSAGE(dm.has_value(), dm.error().message());
  BOOST_TEST((*dm == m));
  // Another brood_key cannot open either.
  const std::vector<crypto::secret_key> other{test::filled_key(0x11)};
  BOOST_TEST((decode_vlan(vtext, n.vlans(), scouts, other).error() == error::cannot_decrypt));
  BOOST_TEST((decode_member(mtext, owner, scouts, other).error() == error::cannot_decrypt));
  // During a rotation the ring holds the new key first and still opens the old boxes.
  const std::vector<crypto::secret_key> rotating{test::filled_key(0x11), key};
  BOOST_TEST(decode_member(mtext, owner, scouts, rotating).has_value());
}

BOOST_AUTO_TEST_CASE(set_headers) {
  // The digest: BLAKE2b-256 over the member texts in bytewise order, each ending in a line feed.
  BOOST_TEST(members_digest({"b", "a"}) == "5iL4Yc-5DX_Cdz6_c5_VMxUV5lLS07rY1aJOyQv1Bf0");
  BOOST_TEST(members_digest({}) != members_digest({""}));
  for (auto [kind, type] : {std::pair{set_kind::nodes, "nh"}, std::pair{set_kind::members, "mh"},
                            std::pair{set_kind::vlans, "vh"}, std::pair{set_kind::trails, "th"}}) {
    set_header h{kind, 7, 42, members_digest({"a", "b"}), test::golden_ts};
    const auto owner = n.node_shard("3");
    auto text = golden(type, encode(h, owner, scout));
    BOOST_TEST(text == encode(h, owner, scout));
    BOOST_TEST(is_set_header(text));
    auto d = decode_set_header(text, kind, owner, scouts);
    BOOST_REQUIRE_MESSAGE(d.has_value(), d.error().message());
    BOOST_TEST((*d == h));
    // A header of one kind is not accepted as another (the type is signed).
    auto other = kind == set_kind::nodes ? set_kind::members : set_kind::nodes;
    BOOST_TEST(!decode_set_header(text, other, owner, scouts).has_value());
  }
}

BOOST_AUTO_TEST_CASE(t_and_l_records) {
  trail_record t{"other.example", scout.id10(), "198.51.100.9:51821", "169.254.77.1/30", 10, test::golden_ts};
  auto ttext = golden("t", encode(t, n.trails(), scout));
  BOOST_TEST(ttext == encode(t, n.trails(), scout));
  auto dt = decode_trail(ttext, n.trails(), scouts);
  BOOST_REQUIRE_MESSAGE(dt.has_value(), dt.error().message());
  BOOST_TEST((*dt == t));

  liveness_record l{scout.id10(), "0123456789abcdef", {"0a1b2c3d4e", "5f6a7b8c9d"}, test::golden_ts};
  auto ltext = golden("l", encode(l, n.liveness(), scout));
  BOOST_TEST(ltext == encode(l, n.liveness(), scout));
  auto dl = decode_liveness(ltext, n.liveness(), scouts);
  BOOST_REQUIRE_MESSAGE(dl.has_value(), dl.error().message());
  BOOST_TEST((*dl == l));
  // A scout speaks only for itself.
  liveness_record lie{node.id10(), "0123456789abcdef", {}, test::golden_ts};
  BOOST_TEST((decode_liveness(encode(lie, n.liveness(), scout), n.liveness(), scouts).error() == error::bad_value));
  liveness_record unsorted{scout.id10(), "0123456789abcdef", {"5f6a7b8c9d", "0a1b2c3d4e"}, test::golden_ts};
  BOOST_TEST(
      (decode_liveness(encode(unsorted, n.liveness(), scout), n.liveness(), scouts).error() == error::bad_value));
  liveness_record no_proc{scout.id10(), "0123", {}, test::golden_ts};
  BOOST_TEST((decode_liveness(encode(no_proc, n.liveness(), scout), n.liveness(), scouts).error() == error::bad_value));

  lease_record lk{scout.id10(), "0123456789abcdef", "approve", test::golden_ts + 60'000, test::golden_ts};
  auto lktext = golden("lk", encode(lk, n.lease(), scout));
  BOOST_TEST(lktext == encode(lk, n.lease(), scout));
  auto dlk = decode_lease(lktext, n.lease(), scouts);
  BOOST_REQUIRE_MESSAGE(dlk.has_value(), dlk.error().message());
  BOOST_TEST((*dlk == lk));
  lease_record other{node.id10(), "0123456789abcdef", "approve", test::golden_ts + 60'000, test::golden_ts};
  BOOST_TEST((decode_lease(encode(other, n.lease(), scout), n.lease(), scouts).error() == error::bad_value));
  BOOST_TEST((decode_lease(lktext, n.lease(), std::vector<crypto::public_key>{node.pk()}).error() == error::untrusted));
}

BOOST_AUTO_TEST_CASE(refusals_have_reasons) {
  const auto owner = n.node_shard(shard_of(node.pk(), 16));
  auto text = encode(sample_node(), owner, key, scout);
  BOOST_TEST((decode_node(text, owner, {}, ring).error() == error::untrusted));  // no trusted scouts
  BOOST_TEST((decode_node(text, n.node_shard("x"), scouts, ring).error() == error::untrusted));  // other name
  auto tampered = text;
  tampered.replace(tampered.find("ip=10.77.152.223"), 13, "ip=10.77.31.8");
  BOOST_TEST((decode_node(tampered, owner, scouts, ring).error() == error::untrusted));
  auto missing = text;
  missing.erase(missing.find(" role=worker"), 12);
  BOOST_TEST((decode_node(missing, owner, scouts, ring).error() == error::missing_field));
  // Values are checked before they are used: a bad role with a valid signature is still refused.
  auto bad = sample_node();
  bad.role = "admin";
  BOOST_TEST((decode_node(encode(bad, owner, key, scout), owner, scouts, ring).error() == error::bad_value));
  bad = sample_node();
  bad.ip = "10.77.152.223/16";
  BOOST_TEST((decode_node(encode(bad, owner, key, scout), owner, scouts, ring).error() == error::bad_value));
  bad = sample_node();
  bad.endpoints = {"203.0.113.7"};  // no port
  BOOST_TEST((decode_node(encode(bad, owner, key, scout), owner, scouts, ring).error() == error::bad_value));
  vlan_record v{0, "zero", "10.200.0.0/24", test::golden_ts};
  BOOST_TEST((decode_vlan(encode(v, n.vlans(), key, scout), n.vlans(), scouts, ring).error() == error::bad_value));
  v = {16'777'216, "big", "10.200.0.0/24", test::golden_ts};
  BOOST_TEST((decode_vlan(encode(v, n.vlans(), key, scout), n.vlans(), scouts, ring).error() == error::bad_value));
  v = {100, "hosty", "10.200.0.1/24", test::golden_ts};  // host bits set
  BOOST_TEST((decode_vlan(encode(v, n.vlans(), key, scout), n.vlans(), scouts, ring).error() == error::bad_value));
  // Endpoints JSON is strict.
  BOOST_TEST(!parse_endpoints_json("[\"1.2.3.4:0\"]").has_value());
  BOOST_TEST(!parse_endpoints_json("[\"[1.2.3.4]:5\"]").has_value());
  BOOST_TEST(!parse_endpoints_json("{\"a\":1}").has_value());
  std::vector<std::string> nine(9, "192.0.2.1:1");
  BOOST_TEST(!parse_endpoints_json(endpoints_json(nine)).has_value());  // at most 8
  nine.pop_back();
  BOOST_TEST(parse_endpoints_json(endpoints_json(nine)).has_value());
  BOOST_TEST((parse_endpoints_json("[\"[2001:db8::1]:51820\",\"192.0.2.1:1\"]")->size() == 2u));
}

BOOST_AUTO_TEST_SUITE_END()
