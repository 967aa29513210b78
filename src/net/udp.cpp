// UDP: socket binding, and the multishot recvmsg engine over a provided-buffer ring.
#include <brood/net/udp.hpp>
#include <brood/rt/buffer_ring.hpp>
#include <brood/rt/io_op.hpp>
#include <brood/rt/wait_slot.hpp>

#include <liburing.h>

#include <cerrno>
#include <deque>

namespace brood::net {

result<udp_socket> udp_socket::bind(const socket_address& local) {
  auto s = socket::open(local.family(), SOCK_DGRAM);
  if (!s) return s.error();
  if (local.family() == AF_INET6) {
    if (auto r = s->set_option(IPPROTO_IPV6, IPV6_V6ONLY, 1); !r) return r.error();
  }
  if (auto r = s->bind(local); !r) return r.error();
  udp_socket u;
  u._s = std::move(*s);
  return u;
}

namespace detail {

/// Reference counted: the receiver, each live datagram and the armed kernel op hold one each.
class recvmsg_engine final : public rt::io_op {
 public:
  // Each ring buffer holds the kernel's io_uring_recvmsg_out header and the sender's address
  // before the payload; `payload` is what is left for the datagram itself.
  recvmsg_engine(int fd, unsigned buffers, std::size_t payload)
      : _fd(fd), _ring(buffers, payload + sizeof(io_uring_recvmsg_out) + socket_address::capacity()) {
    _msg.msg_namelen = socket_address::capacity();
  }

  void prep(io_uring_sqe* sqe) noexcept override {
    io_uring_prep_recvmsg_multishot(sqe, _fd, &_msg, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = _ring.group();
  }

  void on_cqe(int res, std::uint32_t flags) noexcept override {
    if (flags & IORING_CQE_F_BUFFER) {
      auto bid = static_cast<std::uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
      _ring.consumed();
      if (_abandoned || res < 0)
        _ring.recycle(bid);
      else
        _ready.push_back({bid, static_cast<unsigned>(res)});
    } else if (res < 0 && res != -ENOBUFS && res != -ECANCELED) {
      _error = rt::errno_code(res);
    }
    if (!(flags & IORING_CQE_F_MORE)) {
      _armed = false;
      if (_abandoned) {
        release();
        return;
      }
      --_refs;  // the receiver still holds one: cannot reach zero here
    }
    if (!_ready.empty() || _error) slot.notify();
  }

  bool has_result() const noexcept { return !_ready.empty() || bool(_error); }

  /// Arms the multishot receive if it is not armed and the kernel has buffers to fill.
  void arm() noexcept {
    if (_armed || _abandoned || _ring.available() == 0) return;
    _armed = true;
    ++_refs;
    rt::reactor::current().submit(*this);
  }

  result<datagram> take() noexcept {
    if (_ready.empty()) return std::exchange(_error, {});
    auto [bid, len] = _ready.front();
    _ready.pop_front();
    datagram d;
    d._e = this;
    d._bid = bid;
    ++_refs;
    auto buf = _ring.buffer(bid);
    auto* out = io_uring_recvmsg_validate(buf.data(), static_cast<int>(len), &_msg);
    if (!out) return d;  // malformed: an empty datagram that still returns its buffer
    if (out->namelen <= socket_address::capacity())
      d._peer = socket_address(static_cast<const sockaddr*>(io_uring_recvmsg_name(out)), out->namelen);
    d._payload = {static_cast<const std::byte*>(io_uring_recvmsg_payload(out, &_msg)),
                  io_uring_recvmsg_payload_length(out, static_cast<int>(len), &_msg)};
    d._truncated = (out->flags & MSG_TRUNC) != 0;
    return d;
  }

  void give_back(std::uint16_t bid) noexcept {
    _ring.recycle(bid);
    if (slot.waiting()) arm();
    release();
  }

  void abandon() noexcept {
    for (auto& r : _ready) _ring.recycle(r.bid);
    _ready.clear();
    _abandoned = true;
    if (_armed) rt::reactor::current().cancel(*this);
    release();
  }

  rt::wait_slot slot;

 private:
  void release() noexcept {
    if (--_refs == 0) delete this;
  }
  struct pending {
    std::uint16_t bid;
    unsigned len;
  };
  int _fd;
  rt::buffer_ring _ring;
  msghdr _msg{};
  std::deque<pending> _ready;
  std::error_code _error;
  unsigned _refs = 1;
  bool _armed = false;
  bool _abandoned = false;
};

}  // namespace detail

datagram::datagram(datagram&& o) noexcept
    : _e(std::exchange(o._e, nullptr)), _bid(o._bid), _truncated(o._truncated), _payload(o._payload), _peer(o._peer) {}

datagram& datagram::operator=(datagram&& o) noexcept {
  if (this != &o) {
    release();
    _e = std::exchange(o._e, nullptr);
    _bid = o._bid;
    _truncated = o._truncated;
    _payload = o._payload;
    _peer = o._peer;
  }
  return *this;
}

datagram::~datagram() { release(); }

void datagram::release() noexcept {
  if (_e) std::exchange(_e, nullptr)->give_back(_bid);
}

udp_receiver::udp_receiver(int fd, unsigned buffers, std::size_t max_payload)
    : _e(new detail::recvmsg_engine(fd, buffers, max_payload)) {}

udp_receiver::~udp_receiver() { _e->abandon(); }

rt::task<result<datagram>> udp_receiver::next() {
  while (!_e->has_result()) {
    _e->arm();
    auto r = co_await _e->slot.wait();
    if (!r) co_return r.error();
  }
  co_return _e->take();
}

}  // namespace brood::net
