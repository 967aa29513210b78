// io_op: the base of every io_uring operation, and single_op, the awaitable one-shot form.
//
// Discipline (folly IoSqeBase, libunifex): an op's address is its SQE's user_data, so an op
// never moves between submission and its final CQE. Cancellation submits IORING_OP_ASYNC_CANCEL
// for that address and then waits: the op is finished only when the kernel posts the target's
// own CQE, so a buffer the kernel may still write is never released early. A per-op deadline is
// a user-space timer that cancels the op when it fires (no kernel work unless it does), or, on
// request, an IORING_OP_LINK_TIMEOUT linked behind the op; such an op finishes after both CQEs.
#pragma once

#include <brood/rt/cancel.hpp>
#include <brood/rt/task.hpp>
#include <brood/rt/timer_node.hpp>

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <optional>

struct io_uring_sqe;

namespace brood::rt {

class reactor;

/// Options shared by all one-shot ops. The cancel token is always the awaiting task's.
struct io_options {
  /// Absolute CLOCK_MONOTONIC deadline; the op fails with std::errc::timed_out past it.
  std::optional<clock::time_point> deadline;
  /// Enforce the deadline in the kernel with a linked timeout (one more SQE and CQE and a
  /// kernel timer per op) instead of the reactor's timer heap, which costs nothing unless it
  /// fires but is only checked between loop turns.
  bool linked = false;
};

/// Anything the reactor submits. Lifetime: must stay at the same address from submit() until
/// its final CQE (one without IORING_CQE_F_MORE) has been delivered to on_cqe().
class io_op {
 public:
  io_op() = default;
  io_op(const io_op&) = delete;
  io_op& operator=(const io_op&) = delete;

  /// Fills `sqe` (never its user_data). Called once per submission, possibly a turn later than
  /// submit() when the in-flight budget is exhausted.
  virtual void prep(io_uring_sqe* sqe) noexcept = 0;
  /// One CQE for this op. Must not resume a coroutine inline: schedule it on the reactor.
  virtual void on_cqe(int res, std::uint32_t flags) noexcept = 0;
  /// The CQE of the linked timeout, when link_deadline() is set.
  virtual void on_link_timeout_cqe(int /*res*/) noexcept {}

  /// A deadline to link behind this op, or nullptr.
  const clock::time_point* link_deadline() const noexcept { return _deadline && _linked ? &*_deadline : nullptr; }

  enum class state : std::uint8_t { idle, queued, submitted, cancelling };
  state op_state() const noexcept { return _state; }

 protected:
  ~io_op() = default;
  std::optional<clock::time_point> _deadline;
  bool _linked = false;

 private:
  friend class reactor;
  struct kernel_timespec {  // layout of __kernel_timespec; read by the kernel at submission
    std::int64_t tv_sec;
    long long tv_nsec;
  } _link_ts{};
  state _state = state::idle;
  io_op* _next_queued = nullptr;
};

/// A one-shot op awaited by exactly one coroutine; concrete ops add prep() and await_resume().
/// When the awaiting task's token is cancelled the op is cancelled in the kernel and completes
/// with operation_canceled (or with its real result, if it won the race).
class single_op : public io_op, private timer_node {
 public:
  explicit single_op(const io_options& o) noexcept {
    _deadline = o.deadline;
    _linked = o.linked;
  }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    return start(h, detail::token_of(h));
  }

  void on_cqe(int res, std::uint32_t flags) noexcept final;
  void on_link_timeout_cqe(int res) noexcept final;

 protected:
  ~single_op() = default;
  /// The kernel's result: >= 0, or -errno (-ETIMEDOUT when the deadline fired).
  int res() const noexcept { return _res; }
  std::uint32_t cqe_flags() const noexcept { return _flags; }

 private:
  bool start(std::coroutine_handle<> h, const cancel_token& t) noexcept;
  void finish_one() noexcept;
  static void on_cancel(void* self) noexcept;
  static void on_deadline(timer_node* self) noexcept;

  std::coroutine_handle<> _waiter;
  cancel_callback _cancel;
  int _res = 0;
  std::uint32_t _flags = 0;
  std::uint8_t _pending = 0;
  bool _timed_out = false;
};

}  // namespace brood::rt
