// netlink::socket on the reactor: raw AF_NETLINK datagrams through io_uring send/recv, split
// into their messages with the bounds checked before a header is read.
#include <brood/netlink/socket.hpp>

#include <brood/net/socket_ops.hpp>

#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace brood::netlink {

rt::result<socket> socket::open(int protocol, std::uint32_t groups) {
  socket s;
  s._fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  if (s._fd < 0) return rt::errno_code(-errno);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = groups;
  if (::bind(s._fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) return rt::errno_code(-errno);
  // Event bursts (a bridge with many ports going down) must not be lost while a sync runs.
  const int rcvbuf = 1 << 20;
  (void)::setsockopt(s._fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  s._buf.resize(1 << 16);
  return s;
}

socket::socket(socket&& o) noexcept : _fd(std::exchange(o._fd, -1)), _buf(std::move(o._buf)) {}

socket::~socket() {
  if (_fd >= 0) ::close(_fd);
}

namespace {
/// Hands each message of one datagram to `each`; true when it said done.
rt::result<bool> split(std::span<const std::uint8_t> rest, const socket::message_fn& each) {
  while (!rest.empty()) {
    if (rest.size() < sizeof(nlmsghdr)) return std::errc::bad_message;
    nlmsghdr h;
    std::memcpy(&h, rest.data(), sizeof h);
    if (h.nlmsg_len < sizeof h || h.nlmsg_len > rest.size()) return std::errc::bad_message;
    auto done = each(rest.first(h.nlmsg_len), h.nlmsg_type);
    if (!done) return done.error();
    if (*done) return true;
    rest = rest.subspan(std::min<std::size_t>(rest.size(), NLMSG_ALIGN(h.nlmsg_len)));
  }
  return false;
}
}  // namespace

rt::task<rt::result<void>> socket::exchange(std::span<const std::uint8_t> request, rt::io_options io,
                                            message_fn each) {
  auto sent = co_await net::send(_fd, std::as_bytes(request), io);
  if (!sent) co_return sent.error();
  for (;;) {
    auto n = co_await net::recv(_fd, std::span(_buf), io);
    if (!n) co_return n.error();
    auto done = split(std::span(reinterpret_cast<const std::uint8_t*>(_buf.data()), *n), each);
    if (!done) co_return done.error();
    if (*done) co_return rt::result<void>{};
  }
}

rt::task<rt::result<void>> socket::receive(rt::io_options io, message_fn each) {
  auto n = co_await net::recv(_fd, std::span(_buf), io);
  if (!n) co_return n.error();
  auto done = split(std::span(reinterpret_cast<const std::uint8_t*>(_buf.data()), *n), each);
  if (!done) co_return done.error();
  co_return rt::result<void>{};
}

}  // namespace brood::netlink
