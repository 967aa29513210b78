// task_scope: the runner coroutine that owns each spawned task, and the join bookkeeping.
#include <brood/rt/task_scope.hpp>

#include <cstdio>
#include <cstdlib>

namespace brood::rt {

task_scope::~task_scope() {
  if (_live != 0) {
    std::fprintf(stderr, "brood: task_scope destroyed with %zu live tasks (join it first)\n", _live);
    std::abort();
  }
}

void task_scope::spawn(task<void> t) {
  if (!t.token_bound()) t.bind_token(_source.token());
  ++_live;
  auto root = run(this, std::move(t));
  reactor::current().schedule(root.handle);
}

detail::root_task task_scope::run(task_scope* self, task<void> t) {
  std::exception_ptr error;
  try {
    co_await std::move(t);
  } catch (...) {
    error = std::current_exception();
  }
  self->done(error);
}

void task_scope::done(std::exception_ptr e) noexcept {
  if (e && !_error) _error = e;
  if (--_live == 0 && _joiner) reactor::current().schedule(std::exchange(_joiner, {}));
}

}  // namespace brood::rt
