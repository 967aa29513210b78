// socket and stream: socket syscalls that never block, and the connect / send_all loops.
#include <brood/net/socket.hpp>

#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>

namespace brood::net {

namespace {
std::error_code last_error() noexcept { return {errno, std::system_category()}; }
}  // namespace

result<socket> socket::open(int family, int type, int protocol) noexcept {
  int fd = ::socket(family, type | SOCK_CLOEXEC, protocol);
  if (fd < 0) return last_error();
  return socket(fd);
}

void socket::close() noexcept {
  if (_fd >= 0) ::close(std::exchange(_fd, -1));
}

result<void> socket::set_option(int level, int name, int value) noexcept {
  if (::setsockopt(_fd, level, name, &value, sizeof value) != 0) return last_error();
  return {};
}

result<void> socket::bind(const socket_address& a) noexcept {
  if (::bind(_fd, a.data(), a.size()) != 0) return last_error();
  return {};
}

result<void> socket::listen(int backlog) noexcept {
  if (::listen(_fd, backlog) != 0) return last_error();
  return {};
}

result<socket_address> socket::local_address() const noexcept {
  socket_address a;
  a.size_ref() = socket_address::capacity();
  if (::getsockname(_fd, a.data(), &a.size_ref()) != 0) return last_error();
  return a;
}

result<socket_address> socket::peer_address() const noexcept {
  socket_address a;
  a.size_ref() = socket_address::capacity();
  if (::getpeername(_fd, a.data(), &a.size_ref()) != 0) return last_error();
  return a;
}

rt::task<result<stream>> stream::connect(socket_address to, io_options o) {
  auto s = socket::open(to.family(), SOCK_STREAM);
  if (!s) co_return s.error();
  if (to.family() != AF_UNIX) (void)s->set_option(IPPROTO_TCP, TCP_NODELAY, 1);
  auto r = co_await net::connect(s->fd(), to, o);
  if (!r) co_return r.error();
  co_return stream(std::move(*s));
}

rt::task<result<void>> stream::send_all(std::span<const std::byte> buf, io_options o) {
  while (!buf.empty()) {
    auto n = co_await send(buf, o);
    if (!n) co_return n.error();
    buf = buf.subspan(*n);
  }
  co_return result<void>{};
}

rt::task<result<void>> stream::recv_exact(std::span<std::byte> buf, io_options o) {
  while (!buf.empty()) {
    auto n = co_await recv(buf, o);
    if (!n) co_return n.error();
    if (*n == 0) co_return std::errc::connection_reset;
    buf = buf.subspan(*n);
  }
  co_return result<void>{};
}

result<void> stream::shutdown_write() noexcept {
  if (::shutdown(fd(), SHUT_WR) != 0) return last_error();
  return {};
}

}  // namespace brood::net
