// UDP over IPv4 and IPv6: udp_socket for one-shot sendmsg/recvmsg, and udp_receiver, a
// multishot recvmsg over a provided-buffer ring for sockets that receive a lot (STUN, BFD).
//
// A datagram handed out by udp_receiver borrows a ring buffer and gives it back when destroyed;
// keep datagrams short-lived, or the kernel runs out of buffers (it then pauses the multishot
// receive, without dropping anything, until buffers come back). Lifetime: the udp_socket must
// outlive its receiver; the receiver's kernel op and ring are freed on the op's final CQE.
#pragma once

#include <brood/net/socket.hpp>
#include <brood/net/socket_address.hpp>
#include <brood/rt/task.hpp>

#include <cstdint>
#include <span>

namespace brood::net {

class udp_socket {
 public:
  udp_socket() = default;
  /// A datagram socket bound to `local` (port 0 picks one). IPv6 sockets are IPv6-only.
  static result<udp_socket> bind(const socket_address& local);

  sendmsg_op send_to(std::span<const std::byte> buf, const socket_address& to, const io_options& o = {}) noexcept {
    return net::send_to(fd(), buf, to, o);
  }
  recvmsg_op recv_from(std::span<std::byte> buf, socket_address& from, const io_options& o = {}) noexcept {
    return net::recv_from(fd(), buf, from, o);
  }
  result<socket_address> local_address() const noexcept { return _s.local_address(); }
  int fd() const noexcept { return _s.fd(); }
  socket& sock() noexcept { return _s; }

 private:
  socket _s;
};

namespace detail {
class recvmsg_engine;
}

/// One received datagram; returns its buffer to the ring on destruction.
class datagram {
 public:
  datagram() = default;
  datagram(datagram&& o) noexcept;
  datagram& operator=(datagram&& o) noexcept;
  datagram(const datagram&) = delete;
  ~datagram();

  std::span<const std::byte> payload() const noexcept { return _payload; }
  const socket_address& peer() const noexcept { return _peer; }
  /// The datagram was longer than the receiver's max_payload and was cut.
  bool truncated() const noexcept { return _truncated; }

 private:
  friend class detail::recvmsg_engine;
  void release() noexcept;
  detail::recvmsg_engine* _e = nullptr;
  std::uint16_t _bid = 0;
  bool _truncated = false;
  std::span<const std::byte> _payload;
  socket_address _peer;
};

class udp_receiver {
 public:
  /// `buffers` (a power of two) ring buffers for socket `fd`, each with room for a datagram of
  /// `max_payload` bytes (longer ones arrive truncated()).
  udp_receiver(int fd, unsigned buffers = 256, std::size_t max_payload = 2048);
  udp_receiver(const udp_receiver&) = delete;
  udp_receiver& operator=(const udp_receiver&) = delete;
  ~udp_receiver();

  /// The next datagram, or the receive error. One caller at a time.
  rt::task<result<datagram>> next();

 private:
  detail::recvmsg_engine* _e;
};

}  // namespace brood::net
