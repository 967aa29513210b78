// The kernel WireGuard backend: a NETLINK_GENERIC socket per call, driven by the reactor's
// send/recv ops, carrying genl.hpp's messages.
#include <brood/wg/backend.hpp>

#include <brood/net/socket_ops.hpp>
#include <brood/rt/timer.hpp>
#include <brood/wg/genl.hpp>

#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace brood::wg {

namespace {

/// A netlink socket for one exchange; closed when it goes.
class nl_socket {
 public:
  static rt::result<nl_socket> open() {
    nl_socket s;
    s._fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_GENERIC);
    if (s._fd < 0) return rt::errno_code(-errno);
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    if (::bind(s._fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) return rt::errno_code(-errno);
    return s;
  }
  nl_socket() = default;
  nl_socket(nl_socket&& o) noexcept : _fd(std::exchange(o._fd, -1)) {}
  nl_socket& operator=(nl_socket&&) = delete;
  ~nl_socket() {
    if (_fd >= 0) ::close(_fd);
  }
  int fd() const noexcept { return _fd; }

 private:
  int _fd = -1;
};

/// Sends `msg`, then calls `each(message)` for every netlink message that comes back until
/// `each` returns true (done) or fails.
template <class F>
rt::task<rt::result<void>> exchange(nl_socket& s, const genl::bytes& msg, rt::io_options io, F each) {
  auto sent = co_await net::send(s.fd(), std::as_bytes(std::span(msg)), io);
  if (!sent) co_return sent.error();
  std::vector<std::byte> buf(1 << 16);
  for (;;) {
    auto n = co_await net::recv(s.fd(), std::span(buf), io);
    if (!n) co_return n.error();
    std::span<const std::uint8_t> rest(reinterpret_cast<const std::uint8_t*>(buf.data()), *n);
    while (rest.size() >= sizeof(nlmsghdr)) {
      nlmsghdr h;
      std::memcpy(&h, rest.data(), sizeof h);
      if (h.nlmsg_len < sizeof h || h.nlmsg_len > rest.size()) co_return std::errc::bad_message;
      auto done = each(rest.first(h.nlmsg_len), h);
      if (!done) co_return done.error();
      if (*done) co_return rt::result<void>{};
      rest = rest.subspan(std::min<std::size_t>(rest.size(), NLMSG_ALIGN(h.nlmsg_len)));
    }
  }
}

class kernel_backend final : public backend {
 public:
  kernel_backend(backend_options o, std::uint16_t family) : _o(std::move(o)), _family(family) {}
  std::string_view kind() const noexcept override { return "kernel"; }
  const std::string& interface() const noexcept override { return _o.interface; }

  rt::task<rt::result<device>> get() override {
    auto s = nl_socket::open();
    if (!s) co_return s.error();
    device d;
    const rt::io_options io{rt::clock::now() + _o.timeout};
    const auto request = genl::get_device_request(_family, _o.interface, ++_seq);
    auto fold = [&d](std::span<const std::uint8_t> m, const nlmsghdr& h) -> rt::result<bool> {
      if (h.nlmsg_type == NLMSG_DONE) return true;
      if (h.nlmsg_type == NLMSG_ERROR) {
        auto st = genl::parse_ack(m);
        if (!st) return st.error();
        if (*st == -ENODEV) return std::errc::no_such_device;
        return std::error_code(-*st, std::system_category());
      }
      auto folded = genl::parse_device_reply(m, d);
      if (!folded) return folded.error();
      return false;
    };
    auto r = co_await exchange(*s, request, io, fold);
    if (!r) co_return r.error();
    co_return d;
  }

  rt::task<rt::result<void>> apply(const device_change& c) override {
    if (c.empty()) co_return rt::result<void>{};
    auto s = nl_socket::open();
    if (!s) co_return s.error();
    const rt::io_options io{rt::clock::now() + _o.timeout};
    const auto msgs = genl::set_device_requests(_family, _o.interface, c, _seq + 1);
    _seq += static_cast<std::uint32_t>(msgs.size());
    auto acked = [](std::span<const std::uint8_t> a, const nlmsghdr&) -> rt::result<bool> {
      auto st = genl::parse_ack(a);
      if (!st) return st.error();
      if (*st == -ENODEV) return std::errc::no_such_device;
      if (*st != 0) return std::error_code(-*st, std::system_category());
      return true;
    };
    for (auto& m : msgs) {
      auto r = co_await exchange(*s, m, io, acked);
      if (!r) co_return r.error();
    }
    co_return rt::result<void>{};
  }

 private:
  backend_options _o;
  std::uint16_t _family;
  std::uint32_t _seq = 0;
};

}  // namespace

rt::task<rt::result<std::unique_ptr<backend>>> make_kernel_backend(backend_options o) {
  auto s = nl_socket::open();
  if (!s) co_return s.error();
  std::uint16_t family = 0;
  const rt::io_options io{rt::clock::now() + o.timeout};
  const auto request = genl::get_family_request(1);
  auto found = [&family](std::span<const std::uint8_t> m, const nlmsghdr&) -> rt::result<bool> {
    auto f = genl::parse_family_reply(m);
    if (!f) return f.error();
    family = *f;
    return true;
  };
  auto r = co_await exchange(*s, request, io, found);
  if (!r) co_return r.error();
  co_return std::unique_ptr<backend>(std::make_unique<kernel_backend>(std::move(o), family));
}

}  // namespace brood::wg
