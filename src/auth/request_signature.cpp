// Signing and checking node requests; the operator's bearer token.
#include <brood/auth/request_signature.hpp>
#include <brood/crypto/box.hpp>
#include <brood/dns/canonical_name.hpp>

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace brood::auth {

namespace {
class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "request signature"; }
  std::string message(int v) const override {
    switch (static_cast<error>(v)) {
      case error::unsigned_request: return "request not signed (x-brood-pk, x-brood-ts, x-brood-sig)";
      case error::malformed: return "malformed request signature headers";
      case error::bad_signature: return "request signature does not verify";
      case error::clock_skew: return "request time too far from the scout's clock";
      case error::replayed: return "request already seen";
      case error::unknown_key: return "the signing key is not known here";
    }
    return "request signature error";
  }
};

std::string body_hash(std::string_view body) {
  std::uint8_t h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  return crypto::base64url(h);
}
}  // namespace

const std::error_category& error_category() noexcept {
  static const category c;
  return c;
}

std::string signed_bytes(std::string_view domain, std::string_view method, std::string_view path,
                         std::int64_t ts_ms, std::string_view body) {
  std::string out = "brood1 request\n";
  out.append(dns::canonical_name(domain)).append("\n").append(method).append("\n").append(path).append("\n");
  out += std::to_string(ts_ms) + "\n" + body_hash(body) + "\n";
  return out;
}

void sign_request(http::request& req, const crypto::identity& node, std::string_view domain, std::int64_t now_ms) {
  auto sig = node.sign(crypto::bytes_of(signed_bytes(domain, req.method, req.path, now_ms, req.body)));
  req.headers.push_back({"x-brood-pk", crypto::base64url(node.pk())});
  req.headers.push_back({"x-brood-ts", std::to_string(now_ms)});
  req.headers.push_back({"x-brood-sig", crypto::base64url(sig)});
}

request_verifier::request_verifier(std::string domain, std::chrono::milliseconds skew, std::size_t max_remembered)
    : _domain(dns::canonical_name(domain)), _skew(skew), _max_remembered(std::max<std::size_t>(1, max_remembered)) {}

result<crypto::public_key> request_verifier::verify(const http::request& req, std::int64_t now_ms,
                                                    const std::function<bool(const crypto::public_key&)>& is_known) {
  auto pk_text = req.header_value("x-brood-pk"), ts_text = req.header_value("x-brood-ts"),
       sig_text = req.header_value("x-brood-sig");
  if (pk_text.empty() || ts_text.empty() || sig_text.empty()) return error::unsigned_request;
  std::int64_t ts = 0;
  auto [p, ec] = std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), ts);
  auto pk_raw = crypto::from_base64url(pk_text);
  auto sig_raw = crypto::from_base64url(sig_text);
  if (ec != std::errc() || p != ts_text.data() + ts_text.size() || ts <= 0 || !pk_raw || pk_raw->size() != 32 ||
      !sig_raw || sig_raw->size() != 64)
    return error::malformed;
  crypto::public_key pk{};
  crypto::signature sig{};
  std::memcpy(pk.data(), pk_raw->data(), pk.size());
  std::memcpy(sig.data(), sig_raw->data(), sig.size());
  if (!crypto::verify(pk, crypto::bytes_of(signed_bytes(_domain, req.method, req.path, ts, req.body)), sig))
    return error::bad_signature;
  const auto skew = _skew.count();
  if (ts < now_ms - skew || ts > now_ms + skew) return error::clock_skew;
  if (is_known && !is_known(pk)) return error::unknown_key;
  while (!_seen_order.empty() &&
         (_seen_order.front().first < now_ms - 2 * skew || _seen_order.size() >= _max_remembered)) {
    _seen.erase(_seen_order.front().second);
    _seen_order.pop_front();
  }
  std::string key(sig_text);
  if (!_seen.insert(key).second) return error::replayed;
  _seen_order.emplace_back(ts, std::move(key));
  return pk;
}

bool operator_token_ok(std::string_view authorization, std::string_view token) noexcept {
  constexpr std::string_view scheme = "Bearer ";
  if (token.empty() || !authorization.starts_with(scheme)) return false;
  auto given = authorization.substr(scheme.size());
  // Compare hashes: equal length inputs for sodium_memcmp, and no early exit on the length.
  std::uint8_t a[crypto_hash_sha256_BYTES], b[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(a, reinterpret_cast<const unsigned char*>(given.data()), given.size());
  crypto_hash_sha256(b, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return sodium_memcmp(a, b, sizeof a) == 0;
}

}  // namespace brood::auth
