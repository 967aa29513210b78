// acme cryptography checked by another implementation, the openssl command line: the account
// key's PEM read back by it and its JWK the same point; ES256 signatures (a JWS's and a bare one)
// verified by it over the exact signing input; the thumbprint and the DNS-01 value as its SHA-256
// gives them; the CSR verified by it with every name as a subjectAltName. Keys other than P-256,
// and names that are not host names, are refused.
#include <brood/acme/csr.hpp>
#include <brood/acme/ec_key.hpp>
#include <brood/acme/jws.hpp>
#include <brood/crypto/identity.hpp>
#include <brood/json/value.hpp>

#include "support/scratch_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <unistd.h>

using namespace brood;

BOOST_AUTO_TEST_SUITE(acme_crypto)

namespace {
/// A scratch directory whose shell commands run inside it.
struct scratch : test::scratch_dir {
  scratch() : scratch_dir("brood-acme") {}
  /// A shell command's exit status (0: success), run in the scratch directory.
  int sh(const std::string& command) const { return std::system(("cd " + dir + " && " + command).c_str()); }
};

bool have_openssl() { return ::access("/usr/bin/openssl", X_OK) == 0; }

std::string bytes(std::string_view b64u) {
  auto b = crypto::from_base64url(b64u);
  BOOST_REQUIRE(b.has_value());
  return *b;
}

/// r||s as the DER ECDSA-Sig-Value openssl verifies (two INTEGERs, a leading zero where the high
/// bit is set, no leading zeros otherwise).
std::string der_signature(const std::string& rs) {
  auto integer = [](std::string v) {
    std::size_t z = 0;
    while (z + 1 < v.size() && v[z] == 0) ++z;
    v.erase(0, z);
    if (static_cast<unsigned char>(v[0]) & 0x80) v.insert(v.begin(), '\0');
    return std::string{'\x02', static_cast<char>(v.size())} + v;
  };
  const auto body = integer(rs.substr(0, 32)) + integer(rs.substr(32, 32));
  return std::string{'\x30', static_cast<char>(body.size())} + body;
}

/// A string member of a JSON object, "" when there is none.
std::string str(const json::value& o, std::string_view key) {
  const auto* m = o.find(key);
  const auto* v = m ? m->as_string() : nullptr;
  return v ? *v : std::string();
}

/// openssl's SHA-256 of a file, base64url without padding.
std::string openssl_sha256_b64u(const scratch& s, const std::string& file) {
  BOOST_REQUIRE(s.sh("openssl dgst -sha256 -binary " + file + " > digest.bin") == 0);
  const auto d = s.read("digest.bin");
  return crypto::base64url(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(d.data()), d.size()));
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_key_is_p256_and_its_jwk_is_its_public_point) {
  BOOST_REQUIRE_MESSAGE(have_openssl(), "openssl is a peer of these tests (tools/deps peers)");
  scratch s;
  auto k = acme::ec_key::generate();
  BOOST_REQUIRE(k.has_value());
  const auto pem = k->to_pem();
  BOOST_TEST(pem.rfind("-----BEGIN PRIVATE KEY-----", 0) == 0u);  // PKCS#8
  s.write("key.pem", pem);
  // openssl reads it and prints the public point uncompressed: 04 || x || y.
  BOOST_REQUIRE(s.sh("openssl pkey -in key.pem -pubout -outform DER 2>/dev/null | tail -c 65 > point.bin") == 0);
  const auto point = s.read("point.bin");
  BOOST_REQUIRE(point.size() == 65u);
  BOOST_TEST(point[0] == '\x04');
  auto jwk = json::parse(k->jwk());
  BOOST_REQUIRE(jwk.has_value());
  BOOST_TEST(str(*jwk, "kty") == "EC");
  BOOST_TEST(str(*jwk, "crv") == "P-256");
  BOOST_TEST(bytes(str(*jwk, "x")) == point.substr(1, 32));
  BOOST_TEST(bytes(str(*jwk, "y")) == point.substr(33, 32));
  // RFC 7638: the members in lexicographic order, no whitespace — the thumbprint's input.
  BOOST_TEST(k->jwk().rfind("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"", 0) == 0u);
  s.write("jwk.json", k->jwk());
  BOOST_TEST(k->thumbprint() == openssl_sha256_b64u(s, "jwk.json"));

  auto again = acme::ec_key::from_pem(pem);
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST(again->jwk() == k->jwk());
  // openssl's own P-256 key in SEC 1 form is read too; a P-384 key and garbage are not.
  BOOST_REQUIRE(s.sh("openssl ecparam -name prime256v1 -genkey -noout -out sec1.pem 2>/dev/null && "
                     "openssl ecparam -name secp384r1 -genkey -noout -out p384.pem 2>/dev/null") == 0);
  BOOST_TEST(acme::ec_key::from_pem(s.read("sec1.pem")).has_value());
  auto p384 = acme::ec_key::from_pem(s.read("p384.pem"));
  BOOST_TEST((!p384.has_value() && p384.error() == std::errc::invalid_argument));
  BOOST_TEST(!acme::ec_key::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").has_value());
}

BOOST_AUTO_TEST_CASE(a_signed_request_verifies_with_openssl) {
  BOOST_REQUIRE_MESSAGE(have_openssl(), "openssl is a peer of these tests (tools/deps peers)");
  scratch s;
  auto k = acme::ec_key::generate();
  BOOST_REQUIRE(k.has_value());
  s.write("key.pem", k->to_pem());
  BOOST_REQUIRE(s.sh("openssl pkey -in key.pem -pubout -out pub.pem 2>/dev/null") == 0);

  for (const bool with_kid : {false, true}) {
    acme::signer signer{&*k, with_kid ? "https://ca.test/acct/17" : ""};
    const std::string payload = with_kid ? "" : R"({"termsOfServiceAgreed":true})";
    auto body = acme::sign_request(signer, "https://ca.test/new-acct", "nonce-1", payload);
    BOOST_REQUIRE(body.has_value());
    auto jws = json::parse(*body);
    BOOST_REQUIRE(jws.has_value());
    const auto protected_b64 = str(*jws, "protected");
    const auto payload_b64 = str(*jws, "payload");
    BOOST_TEST(bytes(payload_b64) == payload);  // POST-as-GET: the empty string
    auto header = json::parse(bytes(protected_b64));
    BOOST_REQUIRE(header.has_value());
    BOOST_TEST(str(*header, "alg") == "ES256");
    BOOST_TEST(str(*header, "nonce") == "nonce-1");
    BOOST_TEST(str(*header, "url") == "https://ca.test/new-acct");
    BOOST_TEST((header->find("kid") != nullptr) == with_kid);
    BOOST_TEST((header->find("jwk") != nullptr) == !with_kid);
    s.write("input", protected_b64 + "." + payload_b64);
    s.write("sig.der", der_signature(bytes(str(*jws, "signature"))));
    BOOST_TEST(s.sh("openssl dgst -sha256 -verify pub.pem -signature sig.der input >/dev/null") == 0);
    s.write("input", protected_b64 + "." + payload_b64 + "x");  // and not over anything else
    BOOST_TEST(s.sh("openssl dgst -sha256 -verify pub.pem -signature sig.der input >/dev/null 2>&1") != 0);
  }
  acme::signer none{};
  BOOST_TEST(!acme::sign_request(none, "https://ca.test/x", "n", "").has_value());
}

BOOST_AUTO_TEST_CASE(the_dns01_value_is_the_key_authorizations_sha256) {
  BOOST_REQUIRE_MESSAGE(have_openssl(), "openssl is a peer of these tests (tools/deps peers)");
  scratch s;
  auto k = acme::ec_key::generate();
  BOOST_REQUIRE(k.has_value());
  const auto ka = acme::key_authorization("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", *k);
  BOOST_TEST(ka == "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA." + k->thumbprint());
  s.write("ka", ka);
  BOOST_TEST(acme::dns01_value(ka) == openssl_sha256_b64u(s, "ka"));
  BOOST_TEST(acme::dns01_value(ka).size() == 43u);
}

BOOST_AUTO_TEST_CASE(a_csr_carries_every_name_and_verifies_with_openssl) {
  BOOST_REQUIRE_MESSAGE(have_openssl(), "openssl is a peer of these tests (tools/deps peers)");
  scratch s;
  auto k = acme::ec_key::generate();
  BOOST_REQUIRE(k.has_value());
  auto csr = acme::make_csr(*k, {"brood.test", "a1b2c3d4e5.brood.test"});
  BOOST_REQUIRE(csr.has_value());
  s.write("csr.der", bytes(*csr));
  BOOST_REQUIRE(s.sh("openssl req -inform DER -in csr.der -verify -noout -text > csr.txt 2>&1") == 0);
  const auto text = s.read("csr.txt");
  BOOST_TEST(text.find("DNS:brood.test, DNS:a1b2c3d4e5.brood.test") != std::string::npos, text);
  BOOST_TEST(text.find("CN = brood.test") != std::string::npos, text);
  BOOST_TEST(text.find("ecdsa-with-SHA256") != std::string::npos, text);
  // The request's key is the certificate key's.
  s.write("key.pem", k->to_pem());
  BOOST_REQUIRE(s.sh("openssl pkey -in key.pem -pubout > a.pub 2>/dev/null && openssl req -inform DER -in csr.der -pubkey -noout > b.pub 2>/dev/null") == 0);
  BOOST_TEST(s.read("a.pub") == s.read("b.pub"));

  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{}, {"Brood.test"}, {"brood"}, {"brood.test,DNS:evil.test"}, {"-a.brood.test"},
        {"a..brood.test"}, {"*.brood.test"}, {"brood.test", std::string(64, 'a') + ".test"}}) {
    auto r = acme::make_csr(*k, bad);
    BOOST_TEST((!r.has_value() && r.error() == std::errc::invalid_argument));
  }
}

BOOST_AUTO_TEST_SUITE_END()
