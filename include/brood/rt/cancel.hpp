// Cooperative cancellation: cancel_source, cancel_token and cancel_callback.
//
// Single-threaded (one reactor, one thread): no atomics. A source fires at most once; when it
// fires, every registered callback runs synchronously, in registration order. Callbacks must not
// throw and must not resume coroutines inline — they schedule, submit an ASYNC_CANCEL, or set
// flags. A token may outlive its source (the shared state is reference counted).
#pragma once

#include <cstddef>
#include <utility>

namespace brood::rt {

class cancel_callback;

namespace detail {
struct cancel_state {
  std::size_t refs = 1;
  bool cancelled = false;
  cancel_callback* head = nullptr;
  cancel_callback* tail = nullptr;

  static void retain(cancel_state* s) noexcept {
    if (s) ++s->refs;
  }
  static void release(cancel_state* s) noexcept {
    if (s && --s->refs == 0) delete s;
  }
};
}  // namespace detail

/// A view of a cancel_source. Empty (default-constructed) tokens are never cancelled.
class cancel_token {
 public:
  cancel_token() = default;
  cancel_token(const cancel_token& o) noexcept : _s(o._s) { detail::cancel_state::retain(_s); }
  cancel_token(cancel_token&& o) noexcept : _s(o._s) { o._s = nullptr; }
  cancel_token& operator=(cancel_token o) noexcept {
    std::swap(_s, o._s);
    return *this;
  }
  ~cancel_token() { detail::cancel_state::release(_s); }

  bool cancelled() const noexcept { return _s && _s->cancelled; }
  /// False for an empty token, which can never be cancelled.
  bool can_be_cancelled() const noexcept { return _s != nullptr; }
  explicit operator bool() const noexcept { return can_be_cancelled(); }

 private:
  friend class cancel_source;
  friend class cancel_callback;
  explicit cancel_token(detail::cancel_state* s) noexcept : _s(s) { detail::cancel_state::retain(_s); }
  detail::cancel_state* _s = nullptr;
};

/// Registers fn(ctx) to run when a token is cancelled; unregisters on disarm or destruction.
/// Non-movable: its address is linked into the token's list.
class cancel_callback {
 public:
  using function = void (*)(void* ctx) noexcept;

  cancel_callback() = default;
  cancel_callback(const cancel_callback&) = delete;
  cancel_callback& operator=(const cancel_callback&) = delete;
  ~cancel_callback() { disarm(); }

  /// Registers; returns false (and registers nothing) when the token is already cancelled.
  bool arm(const cancel_token& t, function fn, void* ctx) noexcept;
  void disarm() noexcept;
  bool armed() const noexcept { return _s != nullptr; }

 private:
  friend class cancel_source;
  detail::cancel_state* _s = nullptr;
  cancel_callback* _prev = nullptr;
  cancel_callback* _next = nullptr;
  function _fn = nullptr;
  void* _ctx = nullptr;
};

/// Owner of a cancellation state. A source built from a parent token is cancelled when the
/// parent is (a child scope, a timeout). Non-movable.
class cancel_source {
 public:
  cancel_source() : _s(new detail::cancel_state) {}
  explicit cancel_source(const cancel_token& parent) : cancel_source() {
    if (!_link.arm(parent, &on_parent, this)) request_cancel();
  }
  cancel_source(const cancel_source&) = delete;
  cancel_source& operator=(const cancel_source&) = delete;
  ~cancel_source() {
    _link.disarm();
    detail::cancel_state::release(_s);
  }

  cancel_token token() const noexcept { return cancel_token(_s); }
  bool cancelled() const noexcept { return _s->cancelled; }
  /// Fires the callbacks once; later calls do nothing.
  void request_cancel() noexcept;

 private:
  static void on_parent(void* self) noexcept { static_cast<cancel_source*>(self)->request_cancel(); }
  detail::cancel_state* _s;
  cancel_callback _link;
};

}  // namespace brood::rt
