// SQE preparation for the socket ops of net/socket_ops.hpp.
#include <brood/net/socket_ops.hpp>

#include <liburing.h>

namespace brood::net {

void connect_op::prep(io_uring_sqe* sqe) noexcept { io_uring_prep_connect(sqe, _fd, _to.data(), _to.size()); }

void recv_op::prep(io_uring_sqe* sqe) noexcept { io_uring_prep_recv(sqe, _fd, _buf.data(), _buf.size(), _flags); }

void send_op::prep(io_uring_sqe* sqe) noexcept {
  io_uring_prep_send(sqe, _fd, _buf.data(), _buf.size(), _flags | MSG_NOSIGNAL);
}

recvmsg_op::recvmsg_op(int fd, std::span<std::byte> buf, socket_address& from, const io_options& o)
    : single_op(o), _fd(fd), _from(from), _iov{buf.data(), buf.size()} {
  _msg.msg_name = _from.data();
  _msg.msg_namelen = socket_address::capacity();
  _msg.msg_iov = &_iov;
  _msg.msg_iovlen = 1;
}

void recvmsg_op::prep(io_uring_sqe* sqe) noexcept { io_uring_prep_recvmsg(sqe, _fd, &_msg, 0); }

result<std::size_t> recvmsg_op::await_resume() const noexcept {
  if (res() < 0) return rt::errno_code(res());
  _from.size_ref() = _msg.msg_namelen;
  if (_msg.msg_flags & MSG_TRUNC) return std::errc::message_size;
  return static_cast<std::size_t>(res());
}

sendmsg_op::sendmsg_op(int fd, std::span<const std::byte> buf, const socket_address& to, const io_options& o)
    : count_op(o), _fd(fd), _to(to), _iov{const_cast<std::byte*>(buf.data()), buf.size()} {
  _msg.msg_name = _to.data();
  _msg.msg_namelen = _to.size();
  _msg.msg_iov = &_iov;
  _msg.msg_iovlen = 1;
}

void sendmsg_op::prep(io_uring_sqe* sqe) noexcept { io_uring_prep_sendmsg(sqe, _fd, &_msg, MSG_NOSIGNAL); }

}  // namespace brood::net
