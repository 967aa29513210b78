// Socket ops on the reactor: connect, recv, send, recvmsg, sendmsg.
//
// Same rules as rt/ops.hpp: each returns an op to co_await at once; buffers belong to the
// caller and outlive the co_await. send ops always pass MSG_NOSIGNAL (a peer that went away is
// EPIPE, never SIGPIPE).
#pragma once

#include <brood/net/socket_address.hpp>
#include <brood/rt/ops.hpp>

#include <sys/uio.h>

namespace brood::net {

using rt::io_options;

class connect_op final : public rt::single_op {
 public:
  connect_op(int fd, const socket_address& to, const io_options& o) : single_op(o), _fd(fd), _to(to) {}
  void prep(io_uring_sqe* sqe) noexcept override;
  result<void> await_resume() const noexcept {
    if (res() < 0) return rt::errno_code(res());
    return {};
  }

 private:
  int _fd;
  socket_address _to;
};

class recv_op final : public rt::count_op {
 public:
  recv_op(int fd, std::span<std::byte> buf, int flags, const io_options& o)
      : count_op(o), _fd(fd), _buf(buf), _flags(flags) {}
  void prep(io_uring_sqe* sqe) noexcept override;

 private:
  int _fd;
  std::span<std::byte> _buf;
  int _flags;
};

class send_op final : public rt::count_op {
 public:
  send_op(int fd, std::span<const std::byte> buf, int flags, const io_options& o)
      : count_op(o), _fd(fd), _buf(buf), _flags(flags) {}
  void prep(io_uring_sqe* sqe) noexcept override;

 private:
  int _fd;
  std::span<const std::byte> _buf;
  int _flags;
};

/// One datagram into `buf`; the sender's address is written to `from`.
class recvmsg_op final : public rt::single_op {
 public:
  recvmsg_op(int fd, std::span<std::byte> buf, socket_address& from, const io_options& o);
  void prep(io_uring_sqe* sqe) noexcept override;
  /// The datagram's length; std::errc::message_size if it did not fit in the buffer.
  result<std::size_t> await_resume() const noexcept;

 private:
  int _fd;
  socket_address& _from;
  iovec _iov;
  msghdr _msg{};
};

class sendmsg_op final : public rt::count_op {
 public:
  sendmsg_op(int fd, std::span<const std::byte> buf, const socket_address& to, const io_options& o);
  void prep(io_uring_sqe* sqe) noexcept override;

 private:
  int _fd;
  socket_address _to;
  iovec _iov;
  msghdr _msg{};
};

inline connect_op connect(int fd, const socket_address& to, const io_options& o = {}) { return {fd, to, o}; }
inline recv_op recv(int fd, std::span<std::byte> buf, const io_options& o = {}) { return {fd, buf, 0, o}; }
inline send_op send(int fd, std::span<const std::byte> buf, const io_options& o = {}) { return {fd, buf, 0, o}; }
inline recvmsg_op recv_from(int fd, std::span<std::byte> buf, socket_address& from, const io_options& o = {}) {
  return {fd, buf, from, o};
}
inline sendmsg_op send_to(int fd, std::span<const std::byte> buf, const socket_address& to, const io_options& o = {}) {
  return {fd, buf, to, o};
}

}  // namespace brood::net
