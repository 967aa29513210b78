// acme ec_key: P-256 keys through BoringSSL's EVP/EC API; the JWK from the uncompressed public
// point; ES256 signatures taken from ECDSA_SIG's two numbers as fixed-width r||s.
#include <brood/acme/ec_key.hpp>

#include <brood/crypto/identity.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <array>
#include <cstdint>

namespace brood::acme {

namespace {
std::string b64u(const std::uint8_t* p, std::size_t n) { return crypto::base64url(std::span<const std::uint8_t>(p, n)); }

const EC_KEY* ec_of(const EVP_PKEY* k) { return EVP_PKEY_get0_EC_KEY(const_cast<EVP_PKEY*>(k)); }

bool is_p256(const EVP_PKEY* k) {
  if (!k || EVP_PKEY_id(k) != EVP_PKEY_EC) return false;
  const EC_KEY* ec = ec_of(k);
  return ec && EC_GROUP_get_curve_name(EC_KEY_get0_group(ec)) == NID_X9_62_prime256v1;
}
}  // namespace

void ec_key::free_key::operator()(evp_pkey_st* k) const noexcept { EVP_PKEY_free(k); }

rt::result<ec_key> ec_key::generate() {
  EC_KEY* ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
  if (!ec || !EC_KEY_generate_key(ec)) {
    EC_KEY_free(ec);
    return std::errc::not_enough_memory;
  }
  EVP_PKEY* k = EVP_PKEY_new();
  if (!k || !EVP_PKEY_assign_EC_KEY(k, ec)) {
    EVP_PKEY_free(k);
    EC_KEY_free(ec);
    return std::errc::not_enough_memory;
  }
  return ec_key(k);
}

rt::result<ec_key> ec_key::from_pem(std::string_view pem) {
  BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!b) return std::errc::not_enough_memory;
  EVP_PKEY* k = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  if (!is_p256(k)) {
    EVP_PKEY_free(k);
    return std::errc::invalid_argument;
  }
  return ec_key(k);
}

std::string ec_key::to_pem() const {
  BIO* b = BIO_new(BIO_s_mem());
  std::string out;
  if (b && PEM_write_bio_PKCS8PrivateKey(b, _k.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
    const std::uint8_t* data = nullptr;
    std::size_t len = 0;
    if (BIO_mem_contents(b, &data, &len)) out.assign(reinterpret_cast<const char*>(data), len);
  }
  BIO_free(b);
  return out;
}

std::string ec_key::jwk() const {
  const EC_KEY* ec = ec_of(_k.get());
  std::array<std::uint8_t, 65> point{};
  const auto n = EC_POINT_point2oct(EC_KEY_get0_group(ec), EC_KEY_get0_public_key(ec), POINT_CONVERSION_UNCOMPRESSED,
                                    point.data(), point.size(), nullptr);
  if (n != point.size()) return {};
  return "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + b64u(point.data() + 1, 32) + "\",\"y\":\"" +
         b64u(point.data() + 33, 32) + "\"}";
}

std::string ec_key::thumbprint() const {
  const auto j = jwk();
  std::array<std::uint8_t, SHA256_DIGEST_LENGTH> d{};
  SHA256(reinterpret_cast<const std::uint8_t*>(j.data()), j.size(), d.data());
  return b64u(d.data(), d.size());
}

rt::result<std::string> ec_key::sign(std::string_view input) const {
  std::array<std::uint8_t, SHA256_DIGEST_LENGTH> d{};
  SHA256(reinterpret_cast<const std::uint8_t*>(input.data()), input.size(), d.data());
  ECDSA_SIG* sig = ECDSA_do_sign(d.data(), d.size(), ec_of(_k.get()));
  if (!sig) return std::errc::not_enough_memory;
  const BIGNUM *r = nullptr, *s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  std::array<std::uint8_t, 64> rs{};
  const bool ok = BN_bn2bin_padded(rs.data(), 32, r) && BN_bn2bin_padded(rs.data() + 32, 32, s);
  ECDSA_SIG_free(sig);
  if (!ok) return std::errc::value_too_large;
  return b64u(rs.data(), rs.size());
}

}  // namespace brood::acme
