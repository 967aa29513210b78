// wait_slot: one coroutine waiting for a producer that is not a coroutine (a multishot op, a
// C library callback). The producer calls notify(); the waiter resumes on a later loop step.
// Cancelling the waiting task resumes it with operation_canceled. Lifetime: the slot must
// outlive a suspended waiter; once notified, the waiter no longer touches the slot (its owner
// may be gone by the time the waiter runs). One waiter at a time.
#pragma once

#include <brood/rt/reactor.hpp>
#include <brood/rt/result.hpp>

#include <utility>

namespace brood::rt {

class wait_slot {
 public:
  wait_slot() = default;
  wait_slot(const wait_slot&) = delete;
  wait_slot& operator=(const wait_slot&) = delete;

  class awaiter {
   public:
    explicit awaiter(wait_slot& s) noexcept : _s(s) {}
    awaiter(const awaiter&) = delete;
    ~awaiter() {
      if (_registered) _s._waiter = nullptr;
    }
    bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      return start(h, detail::token_of(h));
    }
    result<void> await_resume() noexcept {
      _cancel.disarm();
      if (_cancelled) return make_error(std::errc::operation_canceled);
      return {};
    }

   private:
    friend class wait_slot;
    bool start(std::coroutine_handle<> h, const cancel_token& t) noexcept {
      if (t.cancelled()) {
        _cancelled = true;
        return false;
      }
      _h = h;
      _s._waiter = this;
      _registered = true;
      _cancel.arm(t, &on_cancel, this);
      return true;
    }
    static void on_cancel(void* p) noexcept {
      auto* self = static_cast<awaiter*>(p);
      self->_cancelled = true;
      self->_s._waiter = nullptr;
      self->_registered = false;
      reactor::current().schedule(self->_h);
    }
    wait_slot& _s;
    std::coroutine_handle<> _h;
    cancel_callback _cancel;
    bool _cancelled = false;
    bool _registered = false;
  };

  /// Suspends until notify() (or cancellation).
  awaiter wait() noexcept { return awaiter(*this); }
  bool waiting() const noexcept { return _waiter != nullptr; }
  /// Wakes the waiter, if any; a notify with no waiter is not remembered.
  void notify() noexcept {
    if (auto* w = std::exchange(_waiter, nullptr)) {
      w->_registered = false;
      w->_cancel.disarm();
      reactor::current().schedule(w->_h);
    }
  }

 private:
  awaiter* _waiter = nullptr;
};

}  // namespace brood::rt
