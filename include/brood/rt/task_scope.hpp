// task_scope: structured concurrency — spawn tasks, cancel them all, join them all; and
// when_all, the fan-out that most callers want instead of a scope of their own.
//
// Every long-lived activity in brood is a task owned by a scope. A spawned task runs under the
// scope's cancel token (unless it was bound to another with task::with_token) and starts on a
// later loop step, never inline. A scope is cancelled with its parent token; one without a
// parent (a program's or a test's outermost) says so with `no_parent`, so that an unlinked
// scope, whose tasks would outlive the caller's cancellation, is never made by accident.
// Lifetime: a scope must be joined (co_await scope.join()) before it is destroyed; destroying a
// scope that still has live tasks is a bug and aborts, because those tasks could otherwise
// outlive what they reference.
#pragma once

#include <brood/rt/reactor.hpp>

#include <cstddef>
#include <exception>
#include <optional>
#include <vector>

namespace brood::rt {

/// Marks the outermost scope of a program or a test: nothing above it cancels it.
inline constexpr struct no_parent_t {
} no_parent{};

class task_scope {
 public:
  explicit task_scope(no_parent_t) noexcept {}
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

namespace detail {
template <class T>
task<void> store_into(task<T> t, std::optional<T>* out) {
  out->emplace(co_await std::move(t));
}
}  // namespace detail

/// Runs `tasks` concurrently in a scope cancelled with the caller's token, and gives their
/// results in the order the tasks were given, once every one has finished. A task that throws
/// is rethrown here after the others finished.
template <class T>
task<std::vector<T>> when_all(std::vector<task<T>> tasks) {
  std::vector<std::optional<T>> slots(tasks.size());
  {
    const cancel_token parent = co_await current_token();
    task_scope scope(parent);
    for (std::size_t i = 0; i < tasks.size(); ++i) scope.spawn(detail::store_into(std::move(tasks[i]), &slots[i]));
    co_await scope.join();
  }
  std::vector<T> out;
  out.reserve(slots.size());
  for (auto& s : slots) out.push_back(std::move(*s));
  co_return out;
}

}  // namespace brood::rt
