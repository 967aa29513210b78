// socket: an owned socket file descriptor, and stream, a connected TCP or unix stream socket.
//
// All I/O goes through the ring; sockets need not be non-blocking. Lifetime: closing a socket
// does not cancel ops the kernel holds on it, so close a socket only after its ops have finished
// (they are awaited in the owning task, which the structure guarantees).
#pragma once

#include <brood/net/socket_address.hpp>
#include <brood/net/socket_ops.hpp>
#include <brood/rt/task.hpp>

#include <utility>

namespace brood::net {

class socket {
 public:
  socket() = default;
  explicit socket(int fd) noexcept : _fd(fd) {}
  socket(socket&& o) noexcept : _fd(std::exchange(o._fd, -1)) {}
  socket& operator=(socket&& o) noexcept {
    if (this != &o) {
      close();
      _fd = std::exchange(o._fd, -1);
    }
    return *this;
  }
  socket(const socket&) = delete;
  ~socket() { close(); }

  /// socket(2) with SOCK_CLOEXEC.
  static result<socket> open(int family, int type, int protocol = 0) noexcept;

  int fd() const noexcept { return _fd; }
  bool is_open() const noexcept { return _fd >= 0; }
  int release() noexcept { return std::exchange(_fd, -1); }
  void close() noexcept;

  result<void> set_option(int level, int name, int value) noexcept;
  result<void> bind(const socket_address& a) noexcept;
  result<void> listen(int backlog) noexcept;
  result<socket_address> local_address() const noexcept;
  result<socket_address> peer_address() const noexcept;

 private:
  int _fd = -1;
};

/// A connected byte stream (TCP over IPv4/IPv6, or a unix stream socket).
class stream {
 public:
  stream() = default;
  explicit stream(socket s) noexcept : _s(std::move(s)) {}

  /// Connects to `to` (TCP for IP addresses, with TCP_NODELAY; unix stream for unix paths).
  static rt::task<result<stream>> connect(socket_address to, io_options o = {});

  recv_op recv(std::span<std::byte> buf, const io_options& o = {}) noexcept { return net::recv(fd(), buf, o); }
  send_op send(std::span<const std::byte> buf, const io_options& o = {}) noexcept { return net::send(fd(), buf, o); }
  /// Sends every byte (short sends are continued).
  rt::task<result<void>> send_all(std::span<const std::byte> buf, io_options o = {});
  /// Fills `buf` completely; std::errc::connection_reset if the peer closes first.
  rt::task<result<void>> recv_exact(std::span<std::byte> buf, io_options o = {});
  result<void> shutdown_write() noexcept;

  int fd() const noexcept { return _s.fd(); }
  socket& sock() noexcept { return _s; }

 private:
  socket _s;
};

inline std::span<const std::byte> as_bytes(std::string_view s) noexcept {
  return std::as_bytes(std::span(s.data(), s.size()));
}

}  // namespace brood::net
