// Node-signed API requests (SPEC §6): a node signs method, path, time and the body's hash with
// its Ed25519 key; the scout checks the signature, a clock-skew window, and that the same
// signature was not seen before (a captured request cannot be replayed). The signed bytes also
// name the brood, so a request for one brood is worthless at another.
//
//   x-brood-pk:  base64url Ed25519 public key
//   x-brood-ts:  Unix time in milliseconds
//   x-brood-sig: base64url signature over
//                "brood1 request\n<domain>\n<METHOD>\n<path with query>\n<ts>\n<base64url sha256(body)>\n"
//                (the domain in dns::canonical_name form, however it was configured)
#pragma once

#include <brood/crypto/identity.hpp>
#include <brood/http/message.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_set>

namespace brood::auth {

using rt::result;

enum class error {
  unsigned_request = 1,  // a header is missing
  malformed,             // a header does not parse
  bad_signature,         // the signature does not verify for this request
  clock_skew,            // ts too far from the scout's clock
  replayed,              // this exact signature was already used
  unknown_key,           // a valid signature by a key the caller does not serve
};
const std::error_category& error_category() noexcept;
inline std::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

std::string signed_bytes(std::string_view domain, std::string_view method, std::string_view path,
                         std::int64_t ts_ms, std::string_view body);

/// Adds the three headers to `req` (method, path and body as they will be sent).
void sign_request(http::request& req, const crypto::identity& node, std::string_view domain, std::int64_t now_ms);

/// Checks signed requests for one brood. Remembers the signatures it accepted while they are
/// inside the skew window (older ones fail the clock check anyway), at most `max_remembered`.
class request_verifier {
 public:
  explicit request_verifier(std::string domain, std::chrono::milliseconds skew = std::chrono::seconds(60),
                            std::size_t max_remembered = 65'536);
  /// The signing node's key. `is_known`, when given, is asked after the signature and the time
  /// have checked out and before the signature is remembered: a key it refuses gets unknown_key
  /// and costs no memory, so strangers cannot grow the replay cache. Past `max_remembered` the
  /// oldest signatures are forgotten first.
  result<crypto::public_key> verify(const http::request& req, std::int64_t now_ms,
                                    const std::function<bool(const crypto::public_key&)>& is_known = {});
  std::size_t remembered() const noexcept { return _seen.size(); }

 private:
  std::string _domain;
  std::chrono::milliseconds _skew;
  std::size_t _max_remembered;
  std::deque<std::pair<std::int64_t, std::string>> _seen_order;  // (ts, sig) oldest first
  std::unordered_set<std::string> _seen;
};

/// Constant-time comparison of an `Authorization: Bearer <token>` header with the operator token.
bool operator_token_ok(std::string_view authorization, std::string_view token) noexcept;

}  // namespace brood::auth

template <>
struct std::is_error_code_enum<brood::auth::error> : std::true_type {};
