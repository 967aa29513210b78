// task<T>: the lazy coroutine type every brood activity is written as.
//
// A task starts only when awaited (or handed to a task_scope / reactor::block_on) and resumes
// its awaiter by symmetric transfer. Lifetime: the task object owns the frame; destroying a task
// that was started but has not finished is a bug (structured concurrency: every started task is
// awaited to completion by its parent or its scope). Each task carries the cancel_token it runs
// under; a child inherits its parent's token unless one was bound with with_token().
#pragma once

#include <brood/rt/cancel.hpp>

#include <coroutine>
#include <exception>
#include <new>
#include <type_traits>
#include <utility>
#include <variant>

namespace brood::rt {

template <class T = void>
class task;

namespace detail {

/// Live coroutine frames on this thread (tests use it to prove that nothing leaks).
inline thread_local long live_frames = 0;

/// Coroutine frame allocation (src/rt/frame_pool.cpp): recycled per thread by size class, so
/// a request's handful of short-lived tasks costs no malloc. Plain new/delete under ASan, so
/// that a use of a dead frame is still caught.
void* allocate_frame(std::size_t n);
void deallocate_frame(void* p, std::size_t n) noexcept;

class promise_base {
 public:
  static void* operator new(std::size_t n) {
    ++live_frames;
    return allocate_frame(n);
  }
  static void operator delete(void* p, std::size_t n) noexcept {
    --live_frames;
    deallocate_frame(p, n);
  }

  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      auto c = h.promise()._continuation;
      return c ? c : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };

  std::suspend_always initial_suspend() const noexcept { return {}; }
  final_awaiter final_suspend() const noexcept { return {}; }

  const cancel_token& token() const noexcept { return _token; }
  void set_token(cancel_token t) noexcept { _token = std::move(t); }
  void set_continuation(std::coroutine_handle<> c) noexcept { _continuation = c; }

 private:
  std::coroutine_handle<> _continuation;
  cancel_token _token;
};

/// The token of the coroutine behind `h`, or an empty token for foreign coroutine types.
template <class P>
cancel_token token_of(std::coroutine_handle<P> h) noexcept {
  if constexpr (std::is_base_of_v<promise_base, P>)
    return h.promise().token();
  else
    return {};
}

template <class T>
class task_promise final : public promise_base {
 public:
  task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    _r.template emplace<1>(std::forward<U>(v));
  }
  void unhandled_exception() noexcept { _r.template emplace<2>(std::current_exception()); }
  T result() {
    if (_r.index() == 2) std::rethrow_exception(std::get<2>(_r));
    return std::move(std::get<1>(_r));
  }

 private:
  std::variant<std::monostate, T, std::exception_ptr> _r;
};

template <>
class task_promise<void> final : public promise_base {
 public:
  task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void unhandled_exception() noexcept { _e = std::current_exception(); }
  void result() {
    if (_e) std::rethrow_exception(_e);
  }

 private:
  std::exception_ptr _e;
};

}  // namespace detail

template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::task_promise<T>;
  using handle = std::coroutine_handle<promise_type>;
  using value_type = T;

  task() = default;
  explicit task(handle h) noexcept : _h(h) {}
  task(task&& o) noexcept : _h(std::exchange(o._h, {})), _bound(o._bound) {}
  task& operator=(task&& o) noexcept {
    if (this != &o) {
      if (_h) _h.destroy();
      _h = std::exchange(o._h, {});
      _bound = o._bound;
    }
    return *this;
  }
  ~task() {
    if (_h) _h.destroy();
  }

  bool valid() const noexcept { return bool(_h); }

  /// Binds the token this task (and what it awaits) runs under, instead of the awaiter's.
  task&& with_token(cancel_token t) && noexcept {
    _h.promise().set_token(std::move(t));
    _bound = true;
    return std::move(*this);
  }

  struct awaiter {
    handle h;
    bool bound;
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) noexcept {
      h.promise().set_continuation(parent);
      if (!bound) h.promise().set_token(detail::token_of(parent));
      return h;
    }
    T await_resume() { return h.promise().result(); }
  };
  awaiter operator co_await() && noexcept { return awaiter{_h, _bound}; }

  /// Lvalue form of with_token, for runners.
  void bind_token(cancel_token t) noexcept {
    _h.promise().set_token(std::move(t));
    _bound = true;
  }

  /// For runners (task_scope, block_on): the frame, still owned by this task.
  handle native_handle() const noexcept { return _h; }
  bool token_bound() const noexcept { return _bound; }

 private:
  handle _h;
  bool _bound = false;
};

template <class T>
task<T> detail::task_promise<T>::get_return_object() noexcept {
  return task<T>(task<T>::handle::from_promise(*this));
}
inline task<void> detail::task_promise<void>::get_return_object() noexcept {
  return task<void>(task<void>::handle::from_promise(*this));
}

/// `co_await current_token()` yields the cancel_token the calling task runs under.
struct current_token {
  cancel_token value;
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    value = detail::token_of(h);
    return false;
  }
  cancel_token await_resume() noexcept { return std::move(value); }
};

}  // namespace brood::rt
