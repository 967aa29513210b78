// The wireguard-go backend: one unix-socket connection per call to <uapi_dir>/<ifname>.sock,
// a get=1 or set=1 request, and the answer read up to its closing empty line.
#include <brood/wg/backend.hpp>

#include <brood/net/socket.hpp>
#include <brood/rt/timer.hpp>
#include <brood/wg/uapi.hpp>

#include <array>
#include <cstdio>

namespace brood::wg {

namespace {

constexpr std::size_t max_answer = 4 << 20;  // 250 peers with many allowed IPs fit easily

class uapi_backend final : public backend {
 public:
  explicit uapi_backend(backend_options o) : _o(std::move(o)), _path(_o.uapi_dir + "/" + _o.interface + ".sock") {}
  std::string_view kind() const noexcept override { return "wireguard-go"; }
  const std::string& interface() const noexcept override { return _o.interface; }

  rt::task<rt::result<device>> get() override {
    auto answer = co_await exchange("get=1\n\n");
    if (!answer) co_return answer.error();
    co_return parse_uapi_get(*answer);
  }

  rt::task<rt::result<void>> apply(const device_change& c) override {
    if (c.empty()) co_return rt::result<void>{};
    auto answer = co_await exchange(uapi_set_request(c));
    if (!answer) co_return answer.error();
    co_return parse_uapi_set(*answer);
  }

 private:
  rt::task<rt::result<std::string>> exchange(std::string request) {
    const rt::io_options io{rt::clock::now() + _o.timeout};
    auto where = net::socket_address::unix_path(_path);
    if (!where) co_return where.error();
    auto s = co_await net::stream::connect(*where, io);
    if (!s) {
      // No socket file, or nobody listening on it: wireguard-go is not running this interface.
      if (s.error() == std::errc::no_such_file_or_directory || s.error() == std::errc::connection_refused)
        co_return std::errc::no_such_device;
      co_return s.error();
    }
    auto sent = co_await s->send_all(std::as_bytes(std::span(request)), io);
    if (!sent) co_return sent.error();
    std::string answer;
    std::array<std::byte, 16384> buf;
    while (!answer.ends_with("\n\n")) {
      auto n = co_await s->recv(std::span(buf), io);
      if (!n) co_return n.error();
      if (*n == 0) co_return std::errc::bad_message;  // closed before the answer ended
      answer.append(reinterpret_cast<const char*>(buf.data()), *n);
      if (answer.size() > max_answer) co_return std::errc::message_size;
    }
    co_return answer;
  }

  backend_options _o;
  std::string _path;
};

}  // namespace

std::unique_ptr<backend> make_uapi_backend(backend_options o) { return std::make_unique<uapi_backend>(std::move(o)); }

rt::task<std::unique_ptr<backend>> detect(backend_options o) {
  // Only a kernel that does not know the family means wireguard-go; any other failure of the
  // probe (a full socket table, a timeout) is asked again before giving up on the kernel.
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto k = co_await make_kernel_backend(o);
    if (k) co_return std::move(*k);
    if (k.error() == std::errc::not_supported) break;
    std::fprintf(stderr, "brood-agent: probing kernel WireGuard: %s\n", k.error().message().c_str());
    auto slept = co_await rt::sleep_for(std::chrono::milliseconds(200 << attempt));
    if (!slept) break;
  }
  co_return make_uapi_backend(std::move(o));
}

}  // namespace brood::wg
