// reactor: io_uring setup with fallbacks, the loop turn, SQE/CQE plumbing and the drain on exit.
#include <brood/rt/io_op.hpp>
#include <brood/rt/reactor.hpp>

#include <liburing.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace brood::rt {

namespace {
thread_local reactor* t_current = nullptr;

constexpr std::uintptr_t k_link_tag = 1;  // low bit of user_data: the op's linked timeout
constexpr unsigned k_reap_batch = 256;

__kernel_timespec to_kernel_ts(clock::duration d) noexcept {
  using namespace std::chrono;
  if (d < clock::duration::zero()) d = clock::duration::zero();
  auto s = duration_cast<seconds>(d);
  return {s.count(), duration_cast<nanoseconds>(d - s).count()};
}
}  // namespace

static_assert(sizeof(__kernel_timespec) == 16);

struct reactor::ring {
  io_uring r{};
  const char* mode = "plain";
  bool skip_cancel_cqe = false;
};

reactor::reactor(reactor_options opts) : _opts(opts), _ring(std::make_unique<ring>()) {
  struct attempt {
    unsigned flags;
    const char* name;
  };
  const attempt attempts[] = {
      {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL, "defer_taskrun"},
      {IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL, "coop_taskrun"},
      {0, "plain"},
  };
  int first = opts.mode == reactor_options::setup::best ? 0 : opts.mode == reactor_options::setup::coop_taskrun ? 1 : 2;
  int rc = -EINVAL;
  io_uring_params p{};
  for (int i = first; i < 3; ++i) {
    std::memset(&p, 0, sizeof p);
    p.flags = attempts[i].flags | IORING_SETUP_CQSIZE;
    p.cq_entries = opts.cq_entries;
    rc = io_uring_queue_init_params(opts.sq_entries, &_ring->r, &p);
    if (rc == 0) {
      _ring->mode = attempts[i].name;
      break;
    }
    if (rc != -EINVAL) break;  // flags unknown to this kernel: try the next; anything else is fatal
  }
  if (rc != 0)
    throw std::system_error(-rc, std::system_category(),
                            "io_uring_queue_init (is io_uring disabled by kernel.io_uring_disabled, or "
                            "blocked by a seccomp profile? see container/README.md)");
  constexpr unsigned required = IORING_FEAT_NODROP | IORING_FEAT_SUBMIT_STABLE | IORING_FEAT_EXT_ARG;
  if ((p.features & required) != required) {
    io_uring_queue_exit(&_ring->r);
    throw std::runtime_error("io_uring lacks NODROP/SUBMIT_STABLE/EXT_ARG: brood needs Linux 5.11 or newer");
  }
  _ring->skip_cancel_cqe = (p.features & IORING_FEAT_CQE_SKIP) != 0;
  (void)io_uring_register_ring_fd(&_ring->r);  // an optimisation only
  // Leave headroom in the CQ for untracked CQEs (failed cancels) and multishot bursts.
  _inflight_limit = p.cq_entries / 2;
  _ready.reserve(1024);
  _running.reserve(1024);
  _previous = t_current;
  t_current = this;
}

reactor::~reactor() {
  drain();
  io_uring_queue_exit(&_ring->r);
  t_current = _previous;
}

reactor& reactor::current() noexcept {
  if (!t_current) {
    std::fputs("brood: no reactor on this thread\n", stderr);
    std::abort();
  }
  return *t_current;
}

reactor* reactor::current_or_null() noexcept { return t_current; }

const char* reactor::setup_name() const noexcept { return _ring->mode; }

io_uring* reactor::raw_ring() noexcept { return &_ring->r; }

std::uint16_t reactor::allocate_buffer_group() noexcept {
  if (!_free_groups.empty()) {
    auto id = _free_groups.back();
    _free_groups.pop_back();
    return id;
  }
  return _next_group++;
}

void reactor::release_buffer_group(std::uint16_t id) noexcept { _free_groups.push_back(id); }

void reactor::run_until(const bool& done) {
  while (!done) turn(done);
}

void reactor::turn(const bool& done) {
  ++_stats.turns;
  flush_queued();
  io_uring& r = _ring->r;
  if (_ready.empty() && !done) {
    __kernel_timespec ts{};
    __kernel_timespec* tsp = nullptr;
    if (timer_node* t = _timers.top()) {
      ts = to_kernel_ts(t->deadline - clock::now());
      tsp = &ts;
    } else if (_inflight == 0 && !_queued_head) {
      throw std::logic_error("reactor: nothing is ready, in flight or timed: the awaited task can never finish");
    }
    io_uring_cqe* cqe = nullptr;
    ++_stats.enters;
    int rc = io_uring_submit_and_wait_timeout(&r, &cqe, 1, tsp, nullptr);
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
      throw std::system_error(-rc, std::system_category(), "io_uring_submit_and_wait_timeout");
  } else {
    ++_stats.enters;
    int rc = io_uring_submit_and_get_events(&r);
    if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
      throw std::system_error(-rc, std::system_category(), "io_uring_submit_and_get_events");
  }
  reap();
  fire_timers();
  run_ready();
}

void reactor::submit(io_op& op) noexcept {
  const unsigned need = op.link_deadline() ? 2 : 1;
  if (_queued_head || _inflight + need > _inflight_limit) {
    op._state = io_op::state::queued;
    op._next_queued = nullptr;
    if (_queued_tail)
      _queued_tail->_next_queued = &op;
    else
      _queued_head = &op;
    _queued_tail = &op;
    ++_stats.queued_ops;
    return;
  }
  push_sqes(op);
}

void reactor::flush_queued() noexcept {
  while (io_op* op = _queued_head) {
    const unsigned need = op->link_deadline() ? 2 : 1;
    if (_inflight + need > _inflight_limit) return;
    _queued_head = op->_next_queued;
    if (!_queued_head) _queued_tail = nullptr;
    op->_next_queued = nullptr;
    push_sqes(*op);
  }
}

static io_uring_sqe* get_sqe(io_uring& r, unsigned need, reactor_stats& st) noexcept {
  if (io_uring_sq_space_left(&r) < need) {
    ++st.enters;
    io_uring_submit(&r);
  }
  return io_uring_get_sqe(&r);
}

void reactor::push_sqes(io_op& op) noexcept {
  io_uring& r = _ring->r;
  const clock::time_point* dl = op.link_deadline();
  const unsigned need = dl ? 2 : 1;
  io_uring_sqe* sqe = get_sqe(r, need, _stats);
  op.prep(sqe);
  io_uring_sqe_set_data(sqe, &op);
  if (dl) {
    sqe->flags |= IOSQE_IO_LINK;
    // Absolute CLOCK_MONOTONIC: the deadline does not drift however late the SQE is submitted.
    auto ts = to_kernel_ts(dl->time_since_epoch());
    op._link_ts = {ts.tv_sec, ts.tv_nsec};
    io_uring_sqe* t = io_uring_get_sqe(&r);
    io_uring_prep_link_timeout(t, reinterpret_cast<__kernel_timespec*>(&op._link_ts), IORING_TIMEOUT_ABS);
    io_uring_sqe_set_data64(t, reinterpret_cast<std::uintptr_t>(&op) | k_link_tag);
  }
  op._state = io_op::state::submitted;
  _inflight += need;
  _stats.sqes += need;
}

void reactor::cancel(io_op& op) noexcept {
  switch (op._state) {
    case io_op::state::idle:
    case io_op::state::cancelling:
      return;
    case io_op::state::queued: {
      io_op** link = &_queued_head;
      io_op* prev = nullptr;
      while (*link != &op) {
        prev = *link;
        link = &(*link)->_next_queued;
      }
      *link = op._next_queued;
      if (_queued_tail == &op) _queued_tail = prev;
      op._next_queued = nullptr;
      op._state = io_op::state::idle;
      const bool linked = op.link_deadline() != nullptr;
      op.on_cqe(-ECANCELED, 0);
      if (linked) op.on_link_timeout_cqe(-ECANCELED);
      return;
    }
    case io_op::state::submitted: {
      io_uring_sqe* sqe = get_sqe(_ring->r, 1, _stats);
      io_uring_prep_cancel64(sqe, reinterpret_cast<std::uintptr_t>(&op), 0);
      io_uring_sqe_set_data64(sqe, 0);
      if (_ring->skip_cancel_cqe) sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
      op._state = io_op::state::cancelling;
      ++_stats.sqes;
      return;
    }
  }
}

void reactor::reap() noexcept {
  io_uring& r = _ring->r;
  io_uring_cqe* cqes[k_reap_batch];
  for (;;) {
    unsigned n = io_uring_peek_batch_cqe(&r, cqes, k_reap_batch);
    for (unsigned i = 0; i < n; ++i) {
      const std::uint64_t ud = cqes[i]->user_data;
      const int res = cqes[i]->res;
      const std::uint32_t flags = cqes[i]->flags;
      if (ud == 0) continue;  // a cancel request's own completion
      if (ud & k_link_tag) {
        --_inflight;
        reinterpret_cast<io_op*>(ud & ~k_link_tag)->on_link_timeout_cqe(res);
        continue;
      }
      auto* op = reinterpret_cast<io_op*>(ud);
      if (!(flags & IORING_CQE_F_MORE)) {
        --_inflight;
        op->_state = io_op::state::idle;
      }
      op->on_cqe(res, flags);  // may delete a multishot op: do not touch it afterwards
    }
    io_uring_cq_advance(&r, n);
    _stats.cqes += n;
    if (n == k_reap_batch) continue;
    if (!io_uring_cq_has_overflow(&r)) return;
    // The kernel parked CQEs it could not post (IORING_FEAT_NODROP): flush them in and go on.
    ++_stats.overflow_flushes;
    io_uring_get_events(&r);
  }
}

void reactor::arm_timer(timer_node& t) noexcept {
  if (t.armed()) _timers.erase(t);
  _timers.push(t);
}

void reactor::disarm_timer(timer_node& t) noexcept { _timers.erase(t); }

void reactor::fire_timers() noexcept {
  if (_timers.empty()) return;
  const auto now = clock::now();
  while (timer_node* t = _timers.top()) {
    if (t->deadline > now) break;
    _timers.pop();
    ++_stats.timers_fired;
    t->fire(t);
  }
}

void reactor::run_ready() noexcept {
  _resumed_this_turn = 0;
  if (_ready.empty()) return;
  _turn_start = clock::now();
  std::swap(_ready, _running);
  std::size_t i = 0;
  const std::size_t n = _running.size();
  for (; i < n && _resumed_this_turn < _opts.budget; ++i) {
    ++_resumed_this_turn;
    _running[i].resume();
  }
  _stats.resumes += i;
  if (i < n) _ready.insert(_ready.begin(), _running.begin() + static_cast<std::ptrdiff_t>(i), _running.end());
  _running.clear();
}

void reactor::drain() noexcept {
  // Ops still queued were never seen by the kernel; ops in flight may still write into their
  // buffers, so cancel them all and wait (bounded) until the kernel has let go of each one.
  _queued_head = _queued_tail = nullptr;
  if (_inflight == 0) return;
  io_uring& r = _ring->r;
  io_uring_sqe* sqe = get_sqe(r, 1, _stats);
  io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
  io_uring_sqe_set_data64(sqe, 0);
  const auto give_up = clock::now() + std::chrono::seconds(5);
  while (_inflight > 0 && clock::now() < give_up) {
    __kernel_timespec ts = to_kernel_ts(std::chrono::milliseconds(100));
    io_uring_cqe* cqe = nullptr;
    io_uring_submit_and_wait_timeout(&r, &cqe, 1, &ts, nullptr);
    reap();
  }
  if (_inflight > 0) std::fprintf(stderr, "brood: reactor destroyed with %u kernel ops still in flight\n", _inflight);
  _ready.clear();
}

}  // namespace brood::rt
