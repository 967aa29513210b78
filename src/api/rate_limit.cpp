// Token buckets per client address, bounded in how many clients they remember.
#include <brood/api/rate_limit.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace brood::api {

void rate_limiter::refill(bucket& b, clock::time_point now) const {
  const double elapsed = std::chrono::duration<double>(now - b.at).count();
  if (elapsed > 0) b.tokens = std::min(_r.burst, b.tokens + elapsed * _r.per_second);
  b.at = now;
}

void rate_limiter::forget_idle(clock::time_point now) {
  if (now - _last_sweep < std::chrono::seconds(1)) return;  // a flood of newcomers must not make every request a sweep
  _last_sweep = now;
  for (auto it = _buckets.begin(); it != _buckets.end();) {
    refill(it->second, now);
    it = it->second.tokens >= _r.burst ? _buckets.erase(it) : std::next(it);
  }
}

std::chrono::milliseconds rate_limiter::take(std::string_view client, clock::time_point now) {
  if (_r.burst <= 0) return std::chrono::milliseconds(0);
  auto it = _buckets.find(std::string(client));
  bucket* b = nullptr;
  if (it != _buckets.end()) {
    b = &it->second;
    refill(*b, now);
  } else {
    if (_buckets.size() >= _max) forget_idle(now);
    if (_buckets.size() < _max) {
      b = &_buckets.emplace(std::string(client), bucket{_r.burst, now}).first->second;
    } else {  // every remembered client is busy: newcomers share one bucket
      b = &_overflow;
      if (b->tokens < 0) *b = bucket{_r.burst, now};
      refill(*b, now);
    }
  }
  if (b->tokens >= 1) {
    b->tokens -= 1;
    return std::chrono::milliseconds(0);
  }
  ++_refused;
  const double wait_s = _r.per_second > 0 ? (1 - b->tokens) / _r.per_second : 3600;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(wait_s * 1000)));
}

}  // namespace brood::api
