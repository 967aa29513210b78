// router: method + path pattern → handler. Patterns are literal segments and {name} captures:
// "/vlans/{vni}/members/{id}". No match → 404; a path that matches under another method → 405.
#pragma once

#include <brood/http/message.hpp>
#include <brood/rt/task.hpp>

#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace brood::http {

/// Captured {name} segments: views into the route pattern and the request path. At most
/// `capacity` per route (brood's deepest route has two).
class route_params {
 public:
  static constexpr std::size_t capacity = 8;
  std::string_view get(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < _n; ++i)
      if (_p[i].first == name) return _p[i].second;
    return {};
  }
  void add(std::string_view k, std::string_view v) noexcept {
    if (_n < capacity) _p[_n++] = {k, v};
  }
  void clear() noexcept { _n = 0; }

 private:
  std::array<std::pair<std::string_view, std::string_view>, capacity> _p{};
  std::size_t _n = 0;
};

/// Handlers are coroutines; the request and params live until the returned task finishes.
using handler = std::function<rt::task<response>(const request&, const route_params&)>;

class router {
 public:
  router& add(std::string method, std::string pattern, handler h);

  struct match {
    const handler* h = nullptr;  // null: see status
    int status = 404;            // 404 no such path, 405 path exists under another method
  };
  /// Matches `path` (its query string is ignored) and fills `params`.
  match find(std::string_view method, std::string_view path, route_params& params) const;

 private:
  struct route {
    std::string method;
    std::vector<std::string> segments;  // "{x}" segments capture
    handler h;
  };
  std::vector<route> _routes;
};

/// A JSON error body in brood's shape: {"error": "...", "detail": "..."}.
response error_response(int status, std::string_view error, std::string_view detail = {});
/// The standard reason phrase ("Not Found"); "" for unknown codes.
std::string_view reason_phrase(int status) noexcept;

}  // namespace brood::http
