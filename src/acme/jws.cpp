// acme jws: the protected header written member by member (the JWK embedded as the object it
// is), both parts base64url'd and signed.
#include <brood/acme/jws.hpp>

#include <brood/crypto/identity.hpp>
#include <brood/json/writer.hpp>

#include <openssl/sha.h>

#include <array>
#include <cstdint>

namespace brood::acme {

namespace {
std::string b64u(std::string_view s) {
  return crypto::base64url(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}
}  // namespace

rt::result<std::string> sign_request(const signer& s, std::string_view url, std::string_view nonce, std::string_view payload) {
  if (!s.key || url.empty() || nonce.empty()) return std::errc::invalid_argument;
  std::string header = "{\"alg\":\"ES256\",";
  if (s.kid.empty()) {
    header += "\"jwk\":" + s.key->jwk();
  } else {
    header += "\"kid\":";
    json::append_quoted(header, s.kid);
  }
  header += ",\"nonce\":";
  json::append_quoted(header, nonce);
  header += ",\"url\":";
  json::append_quoted(header, url);
  header += "}";
  const std::string protected_b64 = b64u(header), payload_b64 = b64u(payload);
  auto signature = s.key->sign(protected_b64 + "." + payload_b64);
  if (!signature) return signature.error();
  return "{\"protected\":\"" + protected_b64 + "\",\"payload\":\"" + payload_b64 + "\",\"signature\":\"" + *signature + "\"}";
}

std::string key_authorization(std::string_view token, const ec_key& account) {
  return std::string(token) + "." + account.thumbprint();
}

std::string dns01_value(std::string_view key_authorization) {
  std::array<std::uint8_t, SHA256_DIGEST_LENGTH> d{};
  SHA256(reinterpret_cast<const std::uint8_t*>(key_authorization.data()), key_authorization.size(), d.data());
  return crypto::base64url(d);
}

}  // namespace brood::acme
