// Small helpers the API's handler files share: JSON responses and the common refusals, id
// checks, finding a set among the ones a provider edit read. Private to src/api.
#pragma once

#include <brood/auth/request_signature.hpp>
#include <brood/http/message.hpp>
#include <brood/json/writer.hpp>
#include <brood/provider/provider.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace brood::api {

inline http::response json_ok(int status, std::string body) {
  http::response r;
  r.status = status;
  r.headers.push_back({"content-type", "application/json"});
  r.body = std::move(body);
  return r;
}

/// A node-signed request refused (401). Refused for its time, the answer says what this clock
/// reads (x-brood-time), so that the node can tell its operator how far off it is.
inline http::response signature_refused(std::error_code e, std::int64_t now_ms) {
  auto r = http::error_response(401, "unauthenticated", e.message());
  if (e == auth::error::clock_skew) r.headers.push_back({"x-brood-time", std::to_string(now_ms)});
  return r;
}

/// A change that cannot go ahead: the provider holds texts at `owner` the scout could not verify.
inline http::response unverifiable(const std::string& owner) {
  auto r = http::error_response(503, "unavailable",
                                owner + " holds records this scout cannot verify; it keeps what it verified and "
                                        "will not write over the rest (see GET /status)");
  r.headers.push_back({"retry-after", "30"});
  return r;
}

/// 16 random lower-case hex digits: an API process's identity in the records it writes.
std::string random_proc();

inline bool id10_ok(std::string_view s) {
  return s.size() == 10 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

inline void write_endpoints(json::writer& w, const std::vector<std::string>& eps) {
  w.key("endpoints").begin_array();
  for (auto& e : eps) w.string(e);
  w.end_array();
}

/// The values of `name` among the sets an edit read (empty if it was not read).
inline const std::vector<std::string>& values_of(const std::vector<provider::rrset>& sets, const std::string& name) {
  static const std::vector<std::string> none;
  for (auto& s : sets)
    if (s.name == name) return s.values;
  return none;
}

}  // namespace brood::api
