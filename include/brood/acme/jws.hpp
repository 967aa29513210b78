// acme jws: the messages an ACME client signs (RFC 8555 §6.2): a JWS in flattened JSON form
// whose protected header names the algorithm (ES256), the replay nonce, the request URL, and
// either the account key itself (newAccount) or the account URL (everything else); and the
// DNS-01 values derived from a challenge token (§8.1, §8.4).
#pragma once

#include <brood/acme/ec_key.hpp>

#include <string>
#include <string_view>

namespace brood::acme {

struct signer {
  const ec_key* key = nullptr;
  std::string kid;  // the account URL; "" signs with the JWK (newAccount only)
};

/// The request body for `url`: `payload` is the JSON sent, or empty for a POST-as-GET (§6.3: an
/// empty payload, which is not "{}").
rt::result<std::string> sign_request(const signer& s, std::string_view url, std::string_view nonce, std::string_view payload);

/// token "." thumbprint (§8.1).
std::string key_authorization(std::string_view token, const ec_key& account);

/// The TXT value of _acme-challenge.<domain>: base64url(SHA-256(key authorization)) (§8.4).
std::string dns01_value(std::string_view key_authorization);

}  // namespace brood::acme
