// Record syntax, canonical bytes and the _meta record against its golden vector
// (tests/data/records/meta.txt), with the signature checked by BoringSSL as an independent
// Ed25519 implementation over canonical bytes spelled out by hand from docs/records.md.
#include <brood/crypto/box.hpp>
#include <brood/records/meta.hpp>

#include <openssl/curve25519.h>

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

using namespace brood;
using namespace brood::records;

BOOST_AUTO_TEST_SUITE(records_meta)

namespace {
crypto::identity scout() {
  std::array<std::uint8_t, 32> seed{};
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i + 1);
  return crypto::identity::from_seed(seed);
}

meta_record sample(const crypto::identity& s) {
  meta_record m;
  m.asn = 65077;
  m.subnet = "10.77.0.0/16";
  m.kv = 3;
  m.scouts = {s.pk()};
  m.ts = 1763779200000;
  return m;
}

std::string golden() {
  std::ifstream in(BROOD_TEST_DATA "/records/meta.txt");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}
}  // namespace

BOOST_AUTO_TEST_CASE(encoding_matches_the_golden_vector) {
  auto s = scout();
  auto text = encode(sample(s), "_meta.brood.example", s);
  BOOST_TEST(text == golden());
}

BOOST_AUTO_TEST_CASE(the_signature_covers_the_documented_canonical_bytes) {
  auto s = scout();
  auto text = golden();
  auto sig_b64 = text.substr(text.rfind("sig=") + 4);
  auto sig = crypto::from_base64url(sig_b64);
  BOOST_REQUIRE(sig.has_value());
  const std::string canonical = "brood1\nmeta\n_meta.brood.example\nv=1\nasn=65077\nsubnet=10.77.0.0/16\nbgp=rr\nkv=3\n"
                                "keepalive=30\nstale=90\nshards=16\nscouts=" + crypto::base64url(s.pk()) +
                                "\nts=1763779200000\n";
  BOOST_TEST(ED25519_verify(reinterpret_cast<const std::uint8_t*>(canonical.data()), canonical.size(),
                            reinterpret_cast<const std::uint8_t*>(sig->data()), s.pk().data()) == 1);
}

BOOST_AUTO_TEST_CASE(decoding_verifies_and_refuses_with_a_reason) {
  auto s = scout();
  auto other = crypto::identity::from_seed({42});
  const std::string text = golden();
  auto m = decode_meta(text, "_meta.brood.example", {});  // first read: its own scouts
  BOOST_REQUIRE_MESSAGE(m.has_value(), m.error().message());
  BOOST_TEST(m->asn == 65077u);
  BOOST_TEST(m->kv == 3u);
  BOOST_TEST((m->scouts == std::vector<crypto::public_key>{s.pk()}));
  BOOST_TEST(decode_meta(text, "_META.brood.example.", {s.pk()}).has_value());  // owner is case-folded

  BOOST_TEST((decode_meta(text, "_meta.other.example", {}).error() == error::untrusted));  // bound to its name
  BOOST_TEST((decode_meta(text, "_meta.brood.example", {other.pk()}).error() == error::untrusted));
  auto tampered = text;
  tampered.replace(tampered.find("kv=3"), 4, "kv=4");
  BOOST_TEST((decode_meta(tampered, "_meta.brood.example", {}).error() == error::untrusted));
  // A record signed by a key it lists itself, but not pinned, is refused once a node has pins.
  meta_record forged = sample(other);
  auto forged_text = encode(forged, "_meta.brood.example", other);
  BOOST_TEST(decode_meta(forged_text, "_meta.brood.example", {}).has_value());
  BOOST_TEST((decode_meta(forged_text, "_meta.brood.example", {s.pk()}).error() == error::untrusted));
  // Unknown fields are ignored (and unsigned); known ones are strict.
  auto extra = text;
  extra.insert(extra.find(" sig="), " future=yes");
  BOOST_TEST(decode_meta(extra, "_meta.brood.example", {}).has_value());
  auto v2 = text;
  v2.replace(0, 3, "v=2");
  BOOST_TEST((decode_meta(v2, "_meta.brood.example", {}).error() == error::wrong_version));
  auto dup = text;
  dup.insert(dup.find(" sig="), " kv=3");
  BOOST_TEST((decode_meta(dup, "_meta.brood.example", {}).error() == error::duplicate_key));
  auto zero = text;
  zero.replace(zero.find("kv=3"), 4, "kv=03");
  BOOST_TEST((decode_meta(zero, "_meta.brood.example", {}).error() == error::bad_value));
  BOOST_TEST((decode_meta("v=1 asn=1", "_meta.brood.example", {}).error() == error::missing_field));
  BOOST_TEST((decode_meta("v=1  asn=1", "_meta.brood.example", {}).error() == error::syntax));
  BOOST_TEST((decode_meta(std::string(5000, 'a'), "_meta.brood.example", {}).error() == error::too_large));
}

// Signed by a pinned scout or not, a _meta whose keepalive or stale would make liveness spin or
// judge every node down at once is refused (the review's L5).
BOOST_AUTO_TEST_CASE(keepalive_and_stale_are_bounded) {
  auto s = scout();
  auto with = [&](std::uint32_t keepalive, std::uint32_t stale) {
    meta_record m = sample(s);
    m.keepalive = keepalive;
    m.stale = stale;
    return decode_meta(encode(m, "_meta.brood.example", s), "_meta.brood.example", {s.pk()});
  };
  BOOST_TEST(with(30, 90).has_value());
  BOOST_TEST(with(1, 2).has_value());
  BOOST_TEST(with(3600, 86'400).has_value());
  BOOST_TEST((with(0, 90).error() == error::bad_value));
  BOOST_TEST((with(30, 0).error() == error::bad_value));
  BOOST_TEST((with(30, 59).error() == error::bad_value));
  BOOST_TEST((with(3601, 86'400).error() == error::bad_value));
  BOOST_TEST((with(30, 86'401).error() == error::bad_value));
  BOOST_TEST((with(30, 4'294'967'295u).error() == error::bad_value));
}

BOOST_AUTO_TEST_SUITE_END()
