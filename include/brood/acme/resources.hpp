// acme resources: what an ACME server answers (RFC 8555 §7.1), read strictly from its JSON — the
// directory, an order, an authorization with its challenges, a problem document (§6.7, RFC 7807).
// Only what the client acts on is kept; a member it needs that is missing or of the wrong type,
// a URL that is not https, or a status outside the RFC's list is std::errc::bad_message.
#pragma once

#include <brood/rt/result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brood::acme {

struct directory {
  std::string new_nonce, new_account, new_order;
  std::string renewal_info;  // draft-ietf-acme-ari's renewalInfo, "" when not offered
  std::string terms_of_service;
};

/// Order statuses (§7.1.6): pending → ready → processing → valid; invalid from any.
enum class order_status { pending, ready, processing, valid, invalid };

struct order {
  order_status status = order_status::pending;
  std::vector<std::string> authorizations;  // URLs
  std::string finalize;                     // URL
  std::string certificate;                  // URL, once valid
};

/// Authorization statuses (§7.1.6).
enum class authorization_status { pending, valid, invalid, deactivated, expired, revoked };
/// Challenge statuses (§7.1.6).
enum class challenge_status { pending, processing, valid, invalid };

struct challenge {
  std::string type;  // "dns-01", "http-01", ...
  std::string url;
  std::string token;  // base64url, at least 128 bits (§8.1); "" for types that have none
  challenge_status status = challenge_status::pending;
};

struct authorization {
  authorization_status status = authorization_status::pending;
  std::string identifier;  // the DNS name (type "dns"), without any "*." prefix
  bool wildcard = false;
  std::vector<challenge> challenges;
  /// The dns-01 challenge, or nullptr.
  const challenge* dns01() const noexcept;
};

struct problem {
  std::string type;  // "urn:ietf:params:acme:error:badNonce", ...
  std::string detail;
  /// The error's short name: "badNonce" for the ACME namespace, the whole type otherwise.
  std::string_view name() const noexcept;
};

rt::result<directory> parse_directory(std::string_view json);
rt::result<order> parse_order(std::string_view json);
rt::result<authorization> parse_authorization(std::string_view json);
rt::result<problem> parse_problem(std::string_view json);

}  // namespace brood::acme
