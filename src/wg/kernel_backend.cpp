// The kernel WireGuard backend: a NETLINK_GENERIC socket per call on the reactor, carrying
// genl.hpp's messages.
#include <brood/wg/backend.hpp>

#include <brood/netlink/message.hpp>
#include <brood/netlink/socket.hpp>
#include <brood/rt/timer.hpp>
#include <brood/wg/genl.hpp>

#include <linux/netlink.h>

namespace brood::wg {

namespace {

/// The kernel's error in an NLMSG_ERROR, ENODEV as no_such_device.
std::error_code kernel_error(std::span<const std::uint8_t> m) {
  auto r = netlink::ack_result(m);
  if (r) return std::make_error_code(std::errc::bad_message);  // an ACK where data was due
  if (r.error() == std::errc::no_such_device) return std::make_error_code(std::errc::no_such_device);
  return r.error();
}

class kernel_backend final : public backend {
 public:
  kernel_backend(backend_options o, std::uint16_t family) : _o(std::move(o)), _family(family) {}
  std::string_view kind() const noexcept override { return "kernel"; }
  const std::string& interface() const noexcept override { return _o.interface; }

  rt::task<rt::result<device>> get() override {
    const rt::io_options io{rt::clock::now() + _o.timeout};
    // A dump that the device changed under (peers set meanwhile, by brood or by hand) is read
    // again, a few times within the same deadline.
    for (int attempt = 1;; ++attempt) {
      auto d = co_await read(io);
      if (d || d.error() != std::errc::interrupted || attempt == 5) co_return d;
    }
  }

  rt::task<rt::result<void>> apply(const device_change& c) override {
    if (c.empty()) co_return rt::result<void>{};
    auto s = netlink::socket::open(NETLINK_GENERIC);
    if (!s) co_return s.error();
    const rt::io_options io{rt::clock::now() + _o.timeout};
    const auto msgs = genl::set_device_requests(_family, _o.interface, c, _seq + 1);
    _seq += static_cast<std::uint32_t>(msgs.size());
    auto acked = [](std::span<const std::uint8_t> m, std::uint16_t) -> rt::result<bool> {
      auto r = netlink::ack_result(m);
      if (!r) return r.error();
      return true;
    };
    for (auto& m : msgs) {
      auto r = co_await s->exchange(m, io, acked);
      if (!r) co_return r.error();
    }
    co_return rt::result<void>{};
  }

 private:
  rt::task<rt::result<device>> read(rt::io_options io) {
    auto s = netlink::socket::open(NETLINK_GENERIC);
    if (!s) co_return s.error();
    device d;
    const auto request = genl::get_device_request(_family, _o.interface, ++_seq);
    auto fold = [&d](std::span<const std::uint8_t> m, std::uint16_t type) -> rt::result<bool> {
      if (type == NLMSG_DONE) return true;
      if (type == NLMSG_ERROR) return kernel_error(m);
      auto folded = genl::parse_device_reply(m, d);
      if (!folded) return folded.error();
      return false;
    };
    auto r = co_await s->exchange(request, io, fold);
    if (!r) co_return r.error();
    co_return d;
  }

  backend_options _o;
  std::uint16_t _family;
  std::uint32_t _seq = 0;
};

}  // namespace

rt::task<rt::result<std::unique_ptr<backend>>> make_kernel_backend(backend_options o) {
  auto s = netlink::socket::open(NETLINK_GENERIC);
  if (!s) co_return s.error();
  std::uint16_t family = 0;
  const rt::io_options io{rt::clock::now() + o.timeout};
  const auto request = genl::get_family_request(1);
  auto found = [&family](std::span<const std::uint8_t> m, std::uint16_t) -> rt::result<bool> {
    auto f = genl::parse_family_reply(m);
    if (!f) return f.error();
    family = *f;
    return true;
  };
  auto r = co_await s->exchange(request, io, found);
  if (!r) co_return r.error();
  co_return std::unique_ptr<backend>(std::make_unique<kernel_backend>(std::move(o), family));
}

}  // namespace brood::wg
