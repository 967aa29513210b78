// cancel_source / cancel_callback: the intrusive callback list behind cooperative cancellation.
#include <brood/rt/cancel.hpp>

namespace brood::rt {

bool cancel_callback::arm(const cancel_token& t, function fn, void* ctx) noexcept {
  disarm();
  if (!t._s) return true;  // never cancelled: nothing to register
  if (t._s->cancelled) return false;
  _s = t._s;
  detail::cancel_state::retain(_s);
  _fn = fn;
  _ctx = ctx;
  _prev = _s->tail;
  _next = nullptr;
  if (_s->tail)
    _s->tail->_next = this;
  else
    _s->head = this;
  _s->tail = this;
  return true;
}

void cancel_callback::disarm() noexcept {
  if (!_s) return;
  if (_prev)
    _prev->_next = _next;
  else
    _s->head = _next;
  if (_next)
    _next->_prev = _prev;
  else
    _s->tail = _prev;
  _prev = _next = nullptr;
  detail::cancel_state::release(_s);
  _s = nullptr;
}

void cancel_source::request_cancel() noexcept {
  if (_s->cancelled) return;
  _s->cancelled = true;
  // Pop one at a time: a callback may disarm others (or itself) while we run.
  detail::cancel_state::retain(_s);
  while (cancel_callback* cb = _s->head) {
    auto fn = cb->_fn;
    auto ctx = cb->_ctx;
    cb->disarm();
    fn(ctx);
  }
  detail::cancel_state::release(_s);
}

}  // namespace brood::rt
