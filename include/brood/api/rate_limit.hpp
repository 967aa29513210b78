// rate_limit: per-client token buckets for brood-api (SPEC §6: 429). A client is its IPv4
// address, or its IPv6 /64 (net::client_key): one flood cannot starve every other
// caller, and 100 nodes behind one NAT heartbeating every 30 s use a few percent of one
// client's budget. The table of clients is bounded: past `max_clients`, clients whose bucket has
// refilled (idle ones) are forgotten — at most one sweep a second — and if none has, newcomers
// share one overflow bucket rather than grow the table.
// Lifetime: plain value; time comes in as a steady-clock reading, so tests and benchmarks can
// drive it.
#pragma once

#include <brood/net/client_key.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

namespace brood::api {

struct rate {
  double per_second = 20;  // sustained
  double burst = 100;      // bucket size; 0 disables the limit
};

class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;
  explicit rate_limiter(rate r, std::size_t max_clients = 10'000) : _r(r), _max(max_clients) {}

  /// Takes one token for `client`: zero if the request may go on, else how long until it may.
  std::chrono::milliseconds take(std::string_view client, clock::time_point now);
  std::size_t clients() const noexcept { return _buckets.size(); }
  std::uint64_t refused() const noexcept { return _refused; }

 private:
  struct bucket {
    double tokens;
    clock::time_point at;
  };
  void refill(bucket& b, clock::time_point now) const;
  void forget_idle(clock::time_point now);
  clock::time_point _last_sweep{};

  rate _r;
  std::size_t _max;
  std::unordered_map<std::string, bucket> _buckets;
  bucket _overflow{-1, {}};
  std::uint64_t _refused = 0;
};

using net::client_key;  // a bucket per client_key (net/client_key.hpp)
using net::client_of;

}  // namespace brood::api
