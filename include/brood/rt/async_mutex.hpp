// async_mutex: mutual exclusion between tasks of one reactor (FIFO, cancellable waits).
//
// Used where two tasks share one resource across suspension points — e.g. a TLS stream's
// reader and writer both flushing ciphertext to one socket. Lifetime: must outlive its waiters.
#pragma once

#include <brood/rt/reactor.hpp>
#include <brood/rt/result.hpp>

#include <utility>

namespace brood::rt {

class async_mutex {
 public:
  async_mutex() = default;
  async_mutex(const async_mutex&) = delete;
  async_mutex& operator=(const async_mutex&) = delete;

  /// Releases the mutex when destroyed (or on unlock()).
  class guard {
   public:
    guard() = default;
    explicit guard(async_mutex* m) noexcept : _m(m) {}
    guard(guard&& o) noexcept : _m(std::exchange(o._m, nullptr)) {}
    guard& operator=(guard&& o) noexcept {
      if (this != &o) {
        unlock();
        _m = std::exchange(o._m, nullptr);
      }
      return *this;
    }
    ~guard() { unlock(); }
    void unlock() noexcept {
      if (_m) std::exchange(_m, nullptr)->unlock();
    }

   private:
    async_mutex* _m = nullptr;
  };

  class awaiter {
   public:
    explicit awaiter(async_mutex& m) noexcept : _m(m) {}
    awaiter(const awaiter&) = delete;
    bool await_ready() noexcept {
      if (_m._locked) return false;
      _m._locked = true;
      return true;
    }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      return start(h, detail::token_of(h));
    }
    result<guard> await_resume() noexcept {
      _cancel.disarm();
      if (_cancelled) return make_error(std::errc::operation_canceled);
      return guard(&_m);
    }

   private:
    friend class async_mutex;
    bool start(std::coroutine_handle<> h, const cancel_token& t) noexcept {
      if (t.cancelled()) {
        _cancelled = true;
        return false;
      }
      _h = h;
      _prev = _m._tail;
      if (_m._tail)
        _m._tail->_next = this;
      else
        _m._head = this;
      _m._tail = this;
      _cancel.arm(t, &on_cancel, this);
      return true;
    }
    void unlink() noexcept {
      if (_prev)
        _prev->_next = _next;
      else
        _m._head = _next;
      if (_next)
        _next->_prev = _prev;
      else
        _m._tail = _prev;
      _prev = _next = nullptr;
    }
    static void on_cancel(void* p) noexcept {
      auto* self = static_cast<awaiter*>(p);
      self->unlink();
      self->_cancelled = true;
      reactor::current().schedule(self->_h);
    }
    async_mutex& _m;
    std::coroutine_handle<> _h;
    cancel_callback _cancel;
    awaiter* _prev = nullptr;
    awaiter* _next = nullptr;
    bool _cancelled = false;
  };

  /// `auto g = co_await m.lock(); if (!g) ...` — a guard, or operation_canceled.
  awaiter lock() noexcept { return awaiter(*this); }
  bool locked() const noexcept { return _locked; }

 private:
  void unlock() noexcept {
    if (awaiter* w = _head) {  // hand the lock straight to the first waiter
      w->unlink();
      w->_cancel.disarm();
      reactor::current().schedule(w->_h);
      return;
    }
    _locked = false;
  }
  bool _locked = false;
  awaiter* _head = nullptr;
  awaiter* _tail = nullptr;
};

}  // namespace brood::rt
