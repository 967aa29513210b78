// netlink::socket: a netlink socket driven by the reactor's send/recv ops — one request and the
// messages that answer it, or the events of the multicast groups it joined. Used by rtnl (links,
// addresses) and by the kernel WireGuard backend (generic netlink).
// Lifetime: owns its fd; one exchange or receive at a time.
#pragma once

#include <brood/rt/io_op.hpp>
#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>

#include <cstdint>
#include <functional>
#include <span>

namespace brood::netlink {

class socket {
 public:
  /// A socket of `protocol` (NETLINK_ROUTE, NETLINK_GENERIC), joined to `groups` (a bit mask of
  /// the protocol's multicast groups; 0 for none).
  static rt::result<socket> open(int protocol, std::uint32_t groups = 0);
  socket(socket&& o) noexcept;
  socket& operator=(socket&&) = delete;
  socket(const socket&) = delete;
  ~socket();
  int fd() const noexcept { return _fd; }

  /// Called with each netlink message (header included) and its type; returns true when the
  /// answer is complete, false to go on, or an error that ends the exchange.
  using message_fn = std::function<rt::result<bool>(std::span<const std::uint8_t> msg, std::uint16_t type)>;
  /// Sends `request`, then hands each message that comes back to `each` until it says done.
  rt::task<rt::result<void>> exchange(std::span<const std::uint8_t> request, rt::io_options io, message_fn each);
  /// Receives one datagram and hands its messages to `each` (whose done flag is ignored).
  /// std::errc::no_buffer_space when the kernel dropped messages for want of room.
  rt::task<rt::result<void>> receive(rt::io_options io, message_fn each);

 private:
  socket() = default;
  int _fd = -1;
  std::vector<std::byte> _buf;
};

}  // namespace brood::netlink
