// Timers for tasks: sleep_until / sleep_for, a drift-free periodic schedule, and a callback
// timer for components that are not coroutines (c-ares timeouts, BFD transmit schedules).
//
// Deadlines are absolute steady_clock (CLOCK_MONOTONIC) time points: a task that re-arms with
// `next += period` never accumulates the loop's lateness.
#pragma once

#include <brood/rt/reactor.hpp>
#include <brood/rt/result.hpp>


namespace brood::rt {

/// Awaitable: completes at `deadline`, or with operation_canceled when the task is cancelled.
class sleep_awaiter : private timer_node {
 public:
  explicit sleep_awaiter(clock::time_point when) noexcept { deadline = when; }
  sleep_awaiter(const sleep_awaiter&) = delete;
  ~sleep_awaiter() {
    if (armed()) reactor::current().disarm_timer(*this);
  }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    return start(h, detail::token_of(h));
  }
  result<void> await_resume() const noexcept {
    if (_cancelled) return make_error(std::errc::operation_canceled);
    return {};
  }

 private:
  bool start(std::coroutine_handle<> h, const cancel_token& t) noexcept {
    if (t.cancelled()) {
      _cancelled = true;
      return false;
    }
    _waiter = h;
    fire = &on_fire;
    _cancel.arm(t, &on_cancel, this);
    reactor::current().arm_timer(*this);
    return true;
  }
  static void on_fire(timer_node* n) noexcept {
    auto* self = static_cast<sleep_awaiter*>(n);
    self->_cancel.disarm();
    reactor::current().schedule(self->_waiter);
  }
  static void on_cancel(void* p) noexcept {
    auto* self = static_cast<sleep_awaiter*>(p);
    reactor::current().disarm_timer(*self);
    self->_cancelled = true;
    reactor::current().schedule(self->_waiter);
  }

  cancel_callback _cancel;
  std::coroutine_handle<> _waiter;
  bool _cancelled = false;
};

inline sleep_awaiter sleep_until(clock::time_point deadline) noexcept { return sleep_awaiter(deadline); }
inline sleep_awaiter sleep_for(clock::duration d) noexcept { return sleep_awaiter(clock::now() + d); }

/// A fixed-rate schedule: each tick is `period` after the previous deadline, not after the
/// moment the task woke, so the n-th tick is due at start + n * period.
class periodic {
 public:
  explicit periodic(clock::duration period, clock::time_point start = clock::now()) noexcept
      : _period(period), _next(start) {}
  /// Sleeps until the next deadline.
  sleep_awaiter next() noexcept {
    _next += _period;
    return sleep_awaiter(_next);
  }
  clock::time_point deadline() const noexcept { return _next; }

 private:
  clock::duration _period;
  clock::time_point _next;
};

/// A reusable callback timer. Lifetime: disarms itself on destruction; the callback runs on the
/// reactor thread and must not throw.
class callback_timer : private timer_node {
 public:
  using function = void (*)(void* ctx) noexcept;
  callback_timer(function fn, void* ctx) noexcept : _fn(fn), _ctx(ctx) { fire = &on_fire; }
  callback_timer(const callback_timer&) = delete;
  ~callback_timer() { disarm(); }

  void arm_at(clock::time_point t) noexcept {
    deadline = t;
    reactor::current().arm_timer(*this);
  }
  void arm_in(clock::duration d) noexcept { arm_at(clock::now() + d); }
  void disarm() noexcept {
    if (timer_node::armed()) reactor::current().disarm_timer(*this);
  }
  bool armed() const noexcept { return timer_node::armed(); }

 private:
  static void on_fire(timer_node* n) noexcept {
    auto* self = static_cast<callback_timer*>(n);
    self->_fn(self->_ctx);
  }
  function _fn;
  void* _ctx;
};

}  // namespace brood::rt
