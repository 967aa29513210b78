// task_scope: structured concurrency — spawn tasks, cancel them all, join them all.
//
// Every long-lived activity in brood is a task owned by a scope. A spawned task runs under the
// scope's cancel token (unless it was bound to another with task::with_token) and starts on a
// later loop step, never inline. Lifetime: a scope must be joined (co_await scope.join()) before
// it is destroyed; destroying a scope that still has live tasks is a bug and aborts, because
// those tasks could otherwise outlive what they reference.
#pragma once

#include <brood/rt/reactor.hpp>

#include <cstddef>
#include <exception>

namespace brood::rt {

class task_scope {
 public:
  task_scope() = default;
  /// A scope cancelled whenever `parent` is.
  explicit task_scope(const cancel_token& parent) : _source(parent) {}
  task_scope(const task_scope&) = delete;
  task_scope& operator=(const task_scope&) = delete;
  ~task_scope();

  void spawn(task<void> t);
  /// Requests cancellation of every task in the scope (and of those spawned later).
  void cancel() noexcept { _source.request_cancel(); }
  bool cancelled() const noexcept { return _source.cancelled(); }
  cancel_token token() const noexcept { return _source.token(); }
  std::size_t live() const noexcept { return _live; }

  /// Completes when no task is left; then rethrows the first exception a task ended with.
  struct join_awaiter {
    task_scope& s;
    bool await_ready() const noexcept { return s._live == 0; }
    void await_suspend(std::coroutine_handle<> h) noexcept { s._joiner = h; }
    void await_resume() const {
      if (s._error) std::rethrow_exception(std::exchange(s._error, nullptr));
    }
  };
  join_awaiter join() noexcept { return join_awaiter{*this}; }

 private:
  static detail::root_task run(task_scope* self, task<void> t);
  void done(std::exception_ptr e) noexcept;

  cancel_source _source;
  std::size_t _live = 0;
  std::coroutine_handle<> _joiner;
  std::exception_ptr _error;
};

}  // namespace brood::rt
