// with_deadline / with_timeout: bound any awaitable in time.
//
// The work runs under a child cancel token that is cancelled when the deadline passes (and when
// the caller's own token is). Cancellation is cooperative: every op and timer of the runtime ends
// promptly with operation_canceled, and the wrapper then reports std::errc::timed_out.
// Rule: a result<U> that carries a value is returned as it is, even if the deadline passed while
// it was being delivered (bytes received are never dropped); anything else past the deadline is
// timed_out. Awaitables that cannot move (ops) are passed as a factory: with_timeout(d, [&] {
// return net::recv(fd, buf); }).
#pragma once

#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>
#include <brood/rt/timer.hpp>

#include <concepts>
#include <type_traits>

namespace brood::rt {

namespace detail {
template <class T>
struct unwrap_result {
  using type = T;
};
template <class U>
struct unwrap_result<result<U>> {
  using type = U;
};
template <class T>
inline constexpr bool is_result_v = false;
template <class U>
inline constexpr bool is_result_v<result<U>> = true;

template <class A>
struct awaiter_of {
  using type = A;
};
template <class A>
  requires requires(A&& a) { std::move(a).operator co_await(); }
struct awaiter_of<A> {
  using type = decltype(std::declval<A>().operator co_await());
};
template <class A>
using await_result_t = decltype(std::declval<typename awaiter_of<A>::type&>().await_resume());

struct deadline_guard {
  cancel_source& source;
  callback_timer timer{&on_fire, this};
  bool fired = false;
  deadline_guard(cancel_source& s, clock::time_point dl) noexcept : source(s) { timer.arm_at(dl); }
  static void on_fire(void* p) noexcept {
    auto* self = static_cast<deadline_guard*>(p);
    self->fired = true;
    self->source.request_cancel();
  }
};

template <class F>
auto await_factory(F f) -> task<await_result_t<std::invoke_result_t<F&>>> {
  co_return co_await f();
}
}  // namespace detail

template <class T>
using timed_result = result<typename detail::unwrap_result<T>::type>;

template <class T>
task<timed_result<T>> with_deadline(clock::time_point deadline, task<T> work) {
  cancel_token parent = co_await current_token();
  cancel_source source(parent);
  detail::deadline_guard guard(source, deadline);
  if constexpr (std::is_void_v<T>) {
    co_await std::move(work).with_token(source.token());
    guard.timer.disarm();
    if (guard.fired) co_return make_error(std::errc::timed_out);
    co_return timed_result<T>{};
  } else {
    T v = co_await std::move(work).with_token(source.token());
    guard.timer.disarm();
    if constexpr (detail::is_result_v<T>) {
      if (!v && guard.fired) co_return make_error(std::errc::timed_out);
      co_return v;
    } else {
      if (guard.fired) co_return make_error(std::errc::timed_out);
      co_return std::move(v);
    }
  }
}

template <class F>
  requires std::invocable<F&>
auto with_deadline(clock::time_point deadline, F factory)
    -> task<timed_result<detail::await_result_t<std::invoke_result_t<F&>>>> {
  using R = detail::await_result_t<std::invoke_result_t<F&>>;
  auto r = co_await with_deadline<R>(deadline, detail::await_factory(std::move(factory)));
  co_return r;
}

template <class W>
auto with_timeout(clock::duration d, W work) {
  return with_deadline(clock::now() + d, std::move(work));
}

}  // namespace brood::rt
