// single_op: start, cancel and completion of a one-shot op awaited by one coroutine.
#include <brood/rt/io_op.hpp>
#include <brood/rt/reactor.hpp>

#include <cerrno>

namespace brood::rt {

bool single_op::start(std::coroutine_handle<> h, const cancel_token& t) noexcept {
  if (t.cancelled()) {
    _res = -ECANCELED;
    return false;
  }
  if (_deadline && *_deadline <= clock::now()) {
    _res = -ETIMEDOUT;
    return false;
  }
  _waiter = h;
  _pending = link_deadline() ? 2 : 1;
  _timed_out = false;
  _cancel.arm(t, &on_cancel, this);
  reactor& r = reactor::current();
  if (_deadline && !_linked) {
    deadline = *_deadline;
    fire = &on_deadline;
    r.arm_timer(*this);
  }
  r.submit(*this);
  return true;
}

void single_op::on_deadline(timer_node* n) noexcept {
  auto* self = static_cast<single_op*>(n);
  self->_timed_out = true;
  reactor::current().cancel(*self);
}

void single_op::on_cancel(void* self) noexcept { reactor::current().cancel(*static_cast<single_op*>(self)); }

void single_op::on_cqe(int res, std::uint32_t flags) noexcept {
  _res = res;
  _flags = flags;
  finish_one();
}

void single_op::on_link_timeout_cqe(int res) noexcept {
  if (res == -ETIME) _timed_out = true;
  finish_one();
}

void single_op::finish_one() noexcept {
  if (--_pending > 0) return;
  _cancel.disarm();
  if (timer_node::armed()) reactor::current().disarm_timer(*this);
  if (_timed_out && _res == -ECANCELED) _res = -ETIMEDOUT;
  reactor::current().schedule(_waiter);
}

}  // namespace brood::rt
