// STUN message codec: the RFC 5769 sample responses (IPv4 and IPv6, with MESSAGE-INTEGRITY and
// FINGERPRINT), the request brood sends, and every way a strict parser must say no.
#include <brood/stun/message.hpp>

#include <boost/test/unit_test.hpp>

#include <cstring>

using namespace brood;

BOOST_AUTO_TEST_SUITE(stun_message)

namespace {
// RFC 5769 §2.2: sample IPv4 response, 192.0.2.1:32853, SOFTWARE "test vector" padded with a space.
const std::vector<std::uint8_t> ipv4_response = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96};
// RFC 5769 §2.3: sample IPv6 response, [2001:db8:1234:5678:11:2233:4455:6677]:32853.
const std::vector<std::uint8_t> ipv6_response = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c};

stun::transaction_id tid_of(const std::vector<std::uint8_t>& m) {
  stun::transaction_id t{};
  std::memcpy(t.data(), m.data() + 8, t.size());
  return t;
}

/// A Binding success built by hand: header, then the attributes given (already padded), then a
/// correct FINGERPRINT when asked.
std::vector<std::uint8_t> response(const std::vector<std::uint8_t>& attrs, bool fingerprint = true,
                                   std::uint16_t type = 0x0101) {
  std::vector<std::uint8_t> m = {static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type), 0, 0,
                                 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  m.insert(m.end(), attrs.begin(), attrs.end());
  std::size_t len = m.size() - 20 + (fingerprint ? 8 : 0);
  m[2] = static_cast<std::uint8_t>(len >> 8);
  m[3] = static_cast<std::uint8_t>(len);
  if (fingerprint) {
    const std::uint32_t fp = stun::crc32(m) ^ 0x5354554E;
    m.insert(m.end(), {0x80, 0x28, 0x00, 0x04, static_cast<std::uint8_t>(fp >> 24), static_cast<std::uint8_t>(fp >> 16),
                       static_cast<std::uint8_t>(fp >> 8), static_cast<std::uint8_t>(fp)});
  }
  return m;
}
// XOR-MAPPED-ADDRESS 192.0.2.1:32853 (as in RFC 5769).
const std::vector<std::uint8_t> xma = {0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43};

stun::error parse_error(const std::vector<std::uint8_t>& m) {
  auto r = stun::parse(m);
  BOOST_REQUIRE_MESSAGE(!r, "expected the parser to refuse the message");
  return static_cast<stun::error>(r.error().value());
}
}  // namespace

BOOST_AUTO_TEST_CASE(crc32_check_value) {
  const char* s = "123456789";
  BOOST_TEST(stun::crc32(std::span(reinterpret_cast<const std::uint8_t*>(s), 9)) == 0xCBF43926u);
}

BOOST_AUTO_TEST_CASE(rfc5769_ipv4_response) {
  auto m = stun::parse(ipv4_response);
  BOOST_REQUIRE_MESSAGE(m.has_value(), m.error().message());
  BOOST_TEST(m->type == 0x0101);
  BOOST_TEST((m->tid == tid_of(ipv4_response)));
  BOOST_TEST(m->fingerprint);
  BOOST_TEST(m->software == "test vector");
  auto a = stun::binding_answer(*m);
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(a->to_string() == "192.0.2.1:32853");
}

BOOST_AUTO_TEST_CASE(rfc5769_ipv6_response) {
  auto m = stun::parse(ipv6_response);
  BOOST_REQUIRE_MESSAGE(m.has_value(), m.error().message());
  BOOST_TEST(m->fingerprint);
  auto a = stun::binding_answer(*m);
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(a->to_string() == "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
}

BOOST_AUTO_TEST_CASE(the_request_parses_back) {
  const stun::transaction_id tid = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0xff, 0xee};
  auto req = stun::binding_request(tid);
  BOOST_TEST(req.size() % 4 == 0u);
  BOOST_TEST(req.size() == 20u + 12u + 8u);  // header, SOFTWARE "brood" padded, FINGERPRINT
  auto m = stun::parse(req);
  BOOST_REQUIRE_MESSAGE(m.has_value(), m.error().message());
  BOOST_TEST(m->type == 0x0001);
  BOOST_TEST((m->tid == tid));
  BOOST_TEST(m->fingerprint);
  BOOST_TEST(m->software == "brood");
  BOOST_TEST((stun::binding_answer(*m).error() == stun::error::not_stun));  // a request is no answer
}

BOOST_AUTO_TEST_CASE(answers_without_fingerprint_and_old_servers) {
  auto m = stun::parse(response(xma, false));
  BOOST_REQUIRE(m.has_value());
  BOOST_TEST(!m->fingerprint);
  BOOST_TEST(stun::binding_answer(*m)->to_string() == "192.0.2.1:32853");
  // RFC 3489 servers answer with MAPPED-ADDRESS only (not XORed).
  m = stun::parse(response({0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x1f, 0x90, 198, 51, 100, 7}));
  BOOST_REQUIRE(m.has_value());
  BOOST_TEST(stun::binding_answer(*m)->to_string() == "198.51.100.7:8080");
  // Both: XOR-MAPPED-ADDRESS wins.
  std::vector<std::uint8_t> both = {0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x1f, 0x90, 198, 51, 100, 7};
  both.insert(both.end(), xma.begin(), xma.end());
  BOOST_TEST(stun::binding_answer(*stun::parse(response(both)))->to_string() == "192.0.2.1:32853");
  // Unknown comprehension-optional attributes are skipped.
  std::vector<std::uint8_t> optional = {0xC0, 0x57, 0x00, 0x03, 1, 2, 3, 0};
  optional.insert(optional.end(), xma.begin(), xma.end());
  BOOST_TEST(stun::parse(response(optional)).has_value());
}

BOOST_AUTO_TEST_CASE(error_responses) {
  // 420 Unknown Attribute with a reason phrase.
  auto m = stun::parse(response({0x00, 0x09, 0x00, 0x0b, 0, 0, 4, 20, 'n', 'o', 'p', 'e', '!', '!', '!', 0}, true, 0x0111));
  BOOST_REQUIRE_MESSAGE(m.has_value(), m.error().message());
  BOOST_TEST(*m->error_code == 420);
  BOOST_TEST(m->error_reason == "nope!!!");
  BOOST_TEST((stun::binding_answer(*m).error() == stun::error::error_response));
  // Class 7 or number 100 are not error codes.
  BOOST_TEST((parse_error(response({0x00, 0x09, 0x00, 0x04, 0, 0, 7, 0}, true, 0x0111)) == stun::error::bad_error_code));
  BOOST_TEST((parse_error(response({0x00, 0x09, 0x00, 0x04, 0, 0, 4, 100}, true, 0x0111)) == stun::error::bad_error_code));
  // A success without any mapped address.
  m = stun::parse(response({}));
  BOOST_REQUIRE(m.has_value());
  BOOST_TEST((stun::binding_answer(*m).error() == stun::error::no_mapped_address));
}

BOOST_AUTO_TEST_CASE(strictness) {
  auto good = response(xma);
  BOOST_TEST(stun::parse(good).has_value());
  // Every truncation is refused.
  for (std::size_t n = 0; n < good.size(); ++n) {
    std::vector<std::uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    BOOST_TEST(!stun::parse(cut).has_value(), "accepted " << n << " bytes");
  }
  // One byte flipped anywhere is refused: FINGERPRINT covers everything before it, and the
  // fingerprint's own bytes must match.
  for (std::size_t i = 0; i < good.size(); ++i) {
    // Not FINGERPRINT's type: that turns it into an unknown optional attribute, and a message
    // without FINGERPRINT is a valid one.
    if (i == good.size() - 8 || i == good.size() - 7) continue;
    auto bad = good;
    bad[i] ^= 0x01;
    BOOST_TEST(!stun::parse(bad).has_value(), "accepted a flip at byte " << i);
  }
  auto v = good;
  v[0] |= 0x40;
  BOOST_TEST((parse_error(v) == stun::error::not_stun));
  v = good;
  v[4] = 0;
  BOOST_TEST((parse_error(v) == stun::error::not_stun));
  v = good;
  v.push_back(0);  // the datagram is longer than the header says
  BOOST_TEST((parse_error(v) == stun::error::bad_length));
  // An attribute whose length runs past the message.
  BOOST_TEST((parse_error(response({0x80, 0x22, 0x00, 0x09, 'a', 'b', 'c', 'd'}, false)) == stun::error::bad_attribute));
  // A mapped address of the wrong size or family.
  BOOST_TEST((parse_error(response({0x00, 0x20, 0x00, 0x04, 0x00, 0x01, 0xa1, 0x47})) == stun::error::bad_address));
  BOOST_TEST((parse_error(response({0x00, 0x20, 0x00, 0x08, 0x00, 0x03, 0xa1, 0x47, 1, 2, 3, 4})) ==
              stun::error::bad_address));
  // Unknown comprehension-required attribute.
  BOOST_TEST((parse_error(response({0x00, 0x7f, 0x00, 0x00})) == stun::error::unknown_required));
  // Something after FINGERPRINT.
  auto after = good;
  after.insert(after.end(), {0x80, 0x22, 0x00, 0x00});
  after[3] = static_cast<std::uint8_t>(after.size() - 20);
  BOOST_TEST((parse_error(after) == stun::error::bad_fingerprint));
}

BOOST_AUTO_TEST_SUITE_END()
