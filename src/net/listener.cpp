// listener: the multishot accept engine (queue, re-arm, abandonment).
#include <brood/net/listener.hpp>
#include <brood/rt/io_op.hpp>
#include <brood/rt/wait_slot.hpp>

#include <liburing.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <deque>

namespace brood::net::detail {

class accept_engine final : public rt::io_op {
 public:
  accept_engine(int fd, bool tcp) noexcept : _fd(fd), _tcp(tcp) {}

  void prep(io_uring_sqe* sqe) noexcept override {
    io_uring_prep_multishot_accept(sqe, _fd, nullptr, nullptr, SOCK_CLOEXEC);
  }

  void on_cqe(int res, std::uint32_t flags) noexcept override {
    if (!(flags & IORING_CQE_F_MORE)) _armed = false;
    if (_abandoned) {
      if (res >= 0) ::close(res);
      if (!_armed) delete this;
      return;
    }
    if (res >= 0)
      _ready.push_back(res);
    else if (res != -ECANCELED)
      _error = rt::errno_code(res);
    if (has_result()) slot.notify();
  }

  bool has_result() const noexcept { return !_ready.empty() || bool(_error); }

  void arm() noexcept {
    if (_armed) return;
    _armed = true;
    rt::reactor::current().submit(*this);
  }

  result<stream> take() noexcept {
    if (_ready.empty()) return std::exchange(_error, {});
    socket s(_ready.front());
    _ready.pop_front();
    if (_tcp) (void)s.set_option(IPPROTO_TCP, TCP_NODELAY, 1);
    return stream(std::move(s));
  }

  /// The listener is going away: free now, or on the kernel's final CQE.
  void abandon() noexcept {
    for (int fd : _ready) ::close(fd);
    _ready.clear();
    if (!_armed) {
      delete this;
      return;
    }
    _abandoned = true;
    rt::reactor::current().cancel(*this);
  }

  rt::wait_slot slot;

 private:
  int _fd;
  bool _tcp;
  bool _armed = false;
  bool _abandoned = false;
  std::deque<int> _ready;
  std::error_code _error;
};

}  // namespace brood::net::detail

namespace brood::net {

listener::listener(listener&& o) noexcept : _s(std::move(o._s)), _engine(std::exchange(o._engine, nullptr)) {}

listener& listener::operator=(listener&& o) noexcept {
  if (this != &o) {
    if (_engine) _engine->abandon();
    _s = std::move(o._s);
    _engine = std::exchange(o._engine, nullptr);
  }
  return *this;
}

listener::~listener() { close(); }

void listener::close() noexcept {
  if (_engine) {
    _engine->slot.notify();  // a waiting accept() sees the closed listener
    std::exchange(_engine, nullptr)->abandon();
  }
  _s.close();
}

result<listener> listener::bind(const socket_address& a, int backlog) {
  auto s = socket::open(a.family(), SOCK_STREAM);
  if (!s) return s.error();
  const bool tcp = a.family() != AF_UNIX;
  if (tcp) {
    if (auto r = s->set_option(SOL_SOCKET, SO_REUSEADDR, 1); !r) return r.error();
  } else {
    ::unlink(reinterpret_cast<const sockaddr_un*>(a.data())->sun_path);
  }
  if (auto r = s->bind(a); !r) return r.error();
  if (auto r = s->listen(backlog); !r) return r.error();
  listener l;
  l._engine = new detail::accept_engine(s->fd(), tcp);
  l._s = std::move(*s);
  return l;
}

rt::task<result<stream>> listener::accept() {
  if (!_engine) co_return std::errc::bad_file_descriptor;
  while (_engine && !_engine->has_result()) {
    _engine->arm();
    auto r = co_await _engine->slot.wait();
    if (!r) co_return r.error();
  }
  if (!_engine) co_return std::errc::bad_file_descriptor;  // closed while we waited
  co_return _engine->take();
}

}  // namespace brood::net
