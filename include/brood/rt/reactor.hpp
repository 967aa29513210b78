// reactor: one io_uring, one thread, and the loop that drives every task of a brood process.
//
// One loop turn: submit queued SQEs and enter the kernel once (waiting only if no task is ready,
// and never past the earliest timer), collect every CQE into its op (which schedules the waiting
// coroutine), fire due timers, then resume ready coroutines up to a budget so that long runs of
// immediately-ready work still yield to I/O. In-flight ops are bounded by the completion queue's
// size (ops beyond the bound wait in a queue), and an overflowed CQ is flushed, never lost.
//
// Lifetime: a reactor is created, run and destroyed on one thread; reactor::current() is the one
// of the calling thread. Destroy it only after every task it ran has finished; any op still in
// the kernel is then cancelled and drained before the ring goes away.
#pragma once

#include <brood/rt/task.hpp>
#include <brood/rt/timer_node.hpp>

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <vector>

struct io_uring;

namespace brood::rt {

class io_op;
class buffer_ring;

struct reactor_options {
  unsigned sq_entries = 256;
  unsigned cq_entries = 8192;
  /// Which io_uring setup to ask for: `best` tries SINGLE_ISSUER|DEFER_TASKRUN and falls back
  /// to COOP_TASKRUN, then to plain; the others force a fallback (tests cover each path).
  enum class setup { best, coop_taskrun, plain } mode = setup::best;
  /// Coroutine resumptions per loop turn before the loop polls I/O again.
  unsigned budget = 256;
  /// Time a turn's ready work may take before maybe_yield() yields (Seastar's task quota).
  std::chrono::microseconds quota{500};
};

struct reactor_stats {
  std::uint64_t turns = 0;
  std::uint64_t enters = 0;         // io_uring_enter calls (submit and/or wait)
  std::uint64_t sqes = 0;           // SQEs submitted, cancel and link-timeout SQEs included
  std::uint64_t cqes = 0;           // CQEs reaped
  std::uint64_t resumes = 0;        // coroutines resumed from the ready queue
  std::uint64_t queued_ops = 0;     // ops that had to wait for in-flight budget
  std::uint64_t overflow_flushes = 0;
  std::uint64_t timers_fired = 0;
};

class reactor {
 public:
  explicit reactor(reactor_options opts = {});
  ~reactor();
  reactor(const reactor&) = delete;
  reactor& operator=(const reactor&) = delete;

  /// The reactor of the calling thread; calling it with none is a bug (aborts).
  static reactor& current() noexcept;
  static reactor* current_or_null() noexcept;

  /// Runs the loop until `t` has finished; returns its value or rethrows its exception.
  template <class T>
  T block_on(task<T> t);

  /// Queues `h` to be resumed on a later loop step (never inline).
  void schedule(std::coroutine_handle<> h) noexcept { _ready.push_back(h); }
  /// True once this turn's budget (resumptions, or time) is spent; see maybe_yield().
  bool should_yield() noexcept {
    if (_resumed_this_turn >= _opts.budget) return true;
    if ((++_yield_checks & 63) != 0) return false;  // read the clock on every 64th check only
    return std::chrono::steady_clock::now() - _turn_start >= _opts.quota;
  }

  // --- for op and timer implementations -----------------------------------------------------
  void submit(io_op& op) noexcept;
  /// Asks the kernel to cancel `op`; its final CQE still arrives and finishes it.
  void cancel(io_op& op) noexcept;
  void arm_timer(timer_node& t) noexcept;
  void disarm_timer(timer_node& t) noexcept;

  // --- introspection ----------------------------------------------------------------------
  /// CQEs the kernel still owes to tracked ops.
  unsigned inflight() const noexcept { return _inflight; }
  std::size_t armed_timers() const noexcept { return _timers.size(); }
  std::size_t ready_count() const noexcept { return _ready.size(); }
  const reactor_stats& stats() const noexcept { return _stats; }
  /// "defer_taskrun", "coop_taskrun" or "plain": the io_uring setup actually in use.
  const char* setup_name() const noexcept;
  const reactor_options& options() const noexcept { return _opts; }

 private:
  friend class buffer_ring;
  io_uring* raw_ring() noexcept;
  std::uint16_t allocate_buffer_group() noexcept;
  void release_buffer_group(std::uint16_t id) noexcept;

  struct ring;
  void run_until(const bool& done);
  void turn(const bool& done);
  void flush_queued() noexcept;
  void push_sqes(io_op& op) noexcept;
  void reap() noexcept;
  void fire_timers() noexcept;
  void run_ready() noexcept;
  void drain() noexcept;

  reactor_options _opts;
  std::unique_ptr<ring> _ring;
  unsigned _inflight = 0;
  unsigned _inflight_limit = 0;
  io_op* _queued_head = nullptr;
  io_op* _queued_tail = nullptr;
  std::vector<std::coroutine_handle<>> _ready;
  std::vector<std::coroutine_handle<>> _running;
  unsigned _resumed_this_turn = 0;
  unsigned _yield_checks = 0;
  std::chrono::steady_clock::time_point _turn_start;
  timer_heap _timers;
  reactor_stats _stats;
  std::vector<std::uint16_t> _free_groups;
  std::uint16_t _next_group = 1;
  reactor* _previous = nullptr;
};

namespace detail {

/// A self-destroying coroutine that runs a task to completion for a runner (block_on, scopes).
class root_task {
 public:
  struct promise_type : promise_base {
    root_task get_return_object() noexcept {
      return root_task{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_never final_suspend() const noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
  std::coroutine_handle<promise_type> handle;
};

template <class T>
struct block_on_state {
  bool done = false;
  std::optional<T> value;
  std::exception_ptr error;
};
template <>
struct block_on_state<void> {
  bool done = false;
  std::exception_ptr error;
};

template <class T>
root_task run_root(task<T> t, block_on_state<T>& st) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
    } else {
      T v = co_await std::move(t);
      st.value.emplace(std::move(v));
    }
  } catch (...) {
    st.error = std::current_exception();
  }
  st.done = true;
}

}  // namespace detail

template <class T>
T reactor::block_on(task<T> t) {
  detail::block_on_state<T> st;
  auto root = detail::run_root(std::move(t), st);
  schedule(root.handle);
  run_until(st.done);
  if (st.error) std::rethrow_exception(st.error);
  if constexpr (!std::is_void_v<T>) return std::move(*st.value);
}

/// `co_await yield()` reschedules the caller behind everything already ready.
struct yield {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const noexcept { reactor::current().schedule(h); }
  void await_resume() const noexcept {}
};

/// `co_await maybe_yield()` yields only when this turn's budget is spent.
struct maybe_yield {
  bool await_ready() const noexcept { return !reactor::current().should_yield(); }
  void await_suspend(std::coroutine_handle<> h) const noexcept { reactor::current().schedule(h); }
  void await_resume() const noexcept {}
};

}  // namespace brood::rt
