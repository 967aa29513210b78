// api_request: the requests tests and benchmarks send to brood-api — signed by a node
// (auth::sign_request) or carrying the operator's bearer token — and what a failed exchange
// becomes (status 599 with the error as its body), so that a case can assert on one response
// type. Also numbered(): distinct, reproducible node identities for benchmarks of many nodes.
#pragma once

#include <brood/auth/request_signature.hpp>
#include <brood/crypto/identity.hpp>
#include <brood/http/h2_client.hpp>

#include <array>
#include <cstdint>
#include <string>

namespace brood::test {

/// `node` signs it (at `now_ms`, for brood.test), or else, with a non-empty `operator_token`, it
/// carries that token; both may apply.
inline http::request api_request(std::string method, std::string path, std::string body,
                                 const crypto::identity* node, const std::string& operator_token,
                                 std::int64_t now_ms) {
  http::request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  if (!operator_token.empty()) r.headers.push_back({"authorization", "Bearer " + operator_token});
  if (node) auth::sign_request(r, *node, "brood.test", now_ms);
  return r;
}

/// The response, or status 599 with the client's error as the body.
inline http::response or_599(rt::result<http::response> r) {
  return r ? std::move(*r) : http::response{599, {}, r.error().message()};
}

/// Node identity number `n` of a family `tag` (one per benchmark, so their keys never meet).
inline crypto::identity numbered(std::uint8_t tag, std::uint32_t n) {
  std::array<std::uint8_t, 32> seed{};
  seed[0] = tag;
  seed[1] = static_cast<std::uint8_t>(n >> 8);
  seed[2] = static_cast<std::uint8_t>(n);
  return crypto::identity::from_seed(seed);
}

}  // namespace brood::test
