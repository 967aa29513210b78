// transport implementations: TLS and plain TCP.
#include <brood/http/transport.hpp>

#include <sys/socket.h>

namespace brood::http {

namespace {

class tls_transport final : public transport {
 public:
  explicit tls_transport(tls::stream s) : _s(std::move(s)) {}
  rt::task<result<std::size_t>> read(std::span<std::byte> buf, io_options o) override { return _s.read(buf, o); }
  rt::task<result<void>> write_all(std::span<const std::byte> buf, io_options o) override {
    return _s.write_all(buf, o);
  }
  std::string_view protocol() const noexcept override { return _s.alpn(); }
  void shutdown() noexcept override { ::shutdown(_s.transport().fd(), SHUT_RDWR); }

 private:
  tls::stream _s;
};

class plain_transport final : public transport {
 public:
  plain_transport(net::stream s, std::string_view protocol) : _s(std::move(s)), _protocol(protocol) {}
  rt::task<result<std::size_t>> read(std::span<std::byte> buf, io_options o) override {
    auto n = co_await _s.recv(buf, o);
    co_return n;
  }
  rt::task<result<void>> write_all(std::span<const std::byte> buf, io_options o) override {
    return _s.send_all(buf, o);
  }
  std::string_view protocol() const noexcept override { return _protocol; }
  void shutdown() noexcept override { ::shutdown(_s.fd(), SHUT_RDWR); }

 private:
  net::stream _s;
  std::string _protocol;
};

}  // namespace

std::unique_ptr<transport> make_tls_transport(tls::stream s) { return std::make_unique<tls_transport>(std::move(s)); }

std::unique_ptr<transport> make_plain_transport(net::stream s, std::string_view protocol) {
  return std::make_unique<plain_transport>(std::move(s), protocol);
}

}  // namespace brood::http
