// timer_node and timer_heap: the reactor's user-space timers.
//
// All timers live in one intrusive binary min-heap ordered by (deadline, arming order); the
// kernel only ever sees the earliest deadline, as the wait timeout of the loop's single
// io_uring_enter. Arming, disarming and firing are O(log n); equal deadlines fire in the order
// they were armed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace brood::rt {

/// The runtime's clock: CLOCK_MONOTONIC, the clock io_uring's absolute timeouts use.
using clock = std::chrono::steady_clock;

/// One timer. Lifetime: must stay alive and unmoved while armed (disarm before destroying).
/// `fire` runs on the reactor thread with the node already disarmed; it must not throw and must
/// not resume coroutines inline.
struct timer_node {
  using fire_fn = void (*)(timer_node*) noexcept;

  std::chrono::steady_clock::time_point deadline{};
  fire_fn fire = nullptr;
  std::uint64_t seq = 0;
  std::size_t index = npos;

  static constexpr std::size_t npos = ~std::size_t{0};
  bool armed() const noexcept { return index != npos; }
};

class timer_heap {
 public:
  void push(timer_node& t);
  void erase(timer_node& t) noexcept;
  timer_node* top() const noexcept { return _h.empty() ? nullptr : _h.front(); }
  timer_node* pop() noexcept;
  std::size_t size() const noexcept { return _h.size(); }
  bool empty() const noexcept { return _h.empty(); }

 private:
  static bool before(const timer_node* a, const timer_node* b) noexcept {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
  }
  void place(std::size_t i, timer_node* t) noexcept {
    _h[i] = t;
    t->index = i;
  }
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;

  std::vector<timer_node*> _h;
  std::uint64_t _seq = 0;
};

}  // namespace brood::rt
