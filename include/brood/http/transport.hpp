// transport: the byte stream an HTTP connection runs over — TLS, or plain TCP for h2c.
//
// One reader task and one writer task may use a transport at the same time.
#pragma once

#include <brood/net/socket.hpp>
#include <brood/tls/tls_stream.hpp>

#include <memory>

namespace brood::http {

using rt::io_options;
using rt::result;

class transport {
 public:
  virtual ~transport() = default;
  /// Bytes into `buf`; 0 at the end of the stream.
  virtual rt::task<result<std::size_t>> read(std::span<std::byte> buf, io_options o = {}) = 0;
  virtual rt::task<result<void>> write_all(std::span<const std::byte> buf, io_options o = {}) = 0;
  /// The ALPN protocol, or "h2c"/"http/1.1" for plain connections as configured.
  virtual std::string_view protocol() const noexcept = 0;
  /// Half-closes or ends the stream so that a pending read on the other side completes.
  virtual void shutdown() noexcept = 0;
};

std::unique_ptr<transport> make_tls_transport(tls::stream s);
/// Plain TCP; `protocol` is what the connection speaks ("h2c" or "http/1.1").
std::unique_ptr<transport> make_plain_transport(net::stream s, std::string_view protocol);

}  // namespace brood::http
