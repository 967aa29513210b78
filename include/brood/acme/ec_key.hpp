// acme ec_key: an ECDSA P-256 key — an ACME account's (RFC 8555 §6.2: JWS with ES256, RFC 7518
// §3.4) or a certificate's — with its public half as a JWK (RFC 7517) and that JWK's RFC 7638
// thumbprint, which every key authorization carries. Stored as PKCS#8 PEM.
// Lifetime: owns its key; movable, not copyable.
#pragma once

#include <brood/rt/result.hpp>

#include <memory>
#include <string>
#include <string_view>

struct evp_pkey_st;  // BoringSSL's EVP_PKEY, kept out of this header

namespace brood::acme {

class ec_key {
 public:
  static rt::result<ec_key> generate();
  /// A PKCS#8 or SEC 1 PEM private key; std::errc::invalid_argument unless it is P-256.
  static rt::result<ec_key> from_pem(std::string_view pem);

  std::string to_pem() const;  // PKCS#8
  /// {"crv":"P-256","kty":"EC","x":…,"y":…}: members in RFC 7638's order, no whitespace, so
  /// that it is also the thumbprint's input.
  std::string jwk() const;
  /// base64url(SHA-256(jwk())), RFC 7638.
  std::string thumbprint() const;
  /// ES256 over `input`: base64url of r and s, 32 bytes each (RFC 7518 §3.4, not DER).
  rt::result<std::string> sign(std::string_view input) const;

  evp_pkey_st* get() const noexcept { return _k.get(); }

 private:
  struct free_key {
    void operator()(evp_pkey_st* k) const noexcept;
  };
  explicit ec_key(evp_pkey_st* k) noexcept : _k(k) {}
  std::unique_ptr<evp_pkey_st, free_key> _k;
};

}  // namespace brood::acme
