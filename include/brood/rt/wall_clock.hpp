// The wall clock, in milliseconds since the Unix epoch: what record timestamps, signed requests
// and liveness evidence carry, so that they compare across hosts. Deadlines and timers never use
// it (they are steady_clock time points, rt/timer.hpp): a wall clock can jump.
#pragma once

#include <chrono>
#include <cstdint>

namespace brood::rt {

inline std::int64_t unix_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace brood::rt
