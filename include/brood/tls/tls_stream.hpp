// tls_stream: TLS over a net::stream, through a custom BIO over the connection's own buffers.
//
// Ciphertext never passes through BoringSSL's memory BIOs: the BIO reads from our receive
// buffer (filled by one recv op) and appends to our send buffer (drained by one send op at a
// time), as h2o and nghttpx do. Pending ciphertext is flushed after every SSL call, reads
// included (TLS 1.3 tickets and key updates produce output). One task may read while another
// writes (HTTP/2's reader and writer); two concurrent readers or writers are not allowed.
// Lifetime: movable; the SSL state lives on the heap so the BIO's pointer stays valid.
#pragma once

#include <brood/net/socket.hpp>
#include <brood/tls/tls_context.hpp>

#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace brood::tls {

using rt::io_options;

class stream {
 public:
  stream() = default;
  stream(stream&&) noexcept;
  stream& operator=(stream&&) noexcept;
  ~stream();

  /// Client handshake: SNI and certificate name (or IP) check against `server_name`.
  /// `o.deadline` bounds the whole handshake.
  static rt::task<result<stream>> connect(net::stream s, std::shared_ptr<context> ctx, std::string server_name,
                                          io_options o = {});
  /// Server handshake on an accepted connection.
  static rt::task<result<stream>> accept(net::stream s, std::shared_ptr<context> ctx, io_options o = {});

  /// Plaintext into `buf`: a byte count, 0 at the end of the stream (close_notify or the peer's
  /// FIN), or an error.
  rt::task<result<std::size_t>> read(std::span<std::byte> buf, io_options o = {});
  /// Encrypts and sends all of `buf`.
  rt::task<result<void>> write_all(std::span<const std::byte> buf, io_options o = {});
  /// Sends close_notify (the transport stays open until the stream is destroyed).
  rt::task<result<void>> shutdown(io_options o = {});

  /// The ALPN protocol agreed on ("h2", "http/1.1"), or empty.
  std::string_view alpn() const noexcept;
  /// "TLSv1.3" or "TLSv1.2".
  std::string_view version() const noexcept;
  /// The peer certificate's serial number in hex (empty without a peer certificate), for logs.
  std::string peer_serial() const;
  net::stream& transport() noexcept;

  struct state;

 private:
  explicit stream(std::unique_ptr<state> st) noexcept;
  static rt::task<result<stream>> handshake(std::unique_ptr<state> st, io_options o);
  std::unique_ptr<state> _st;
};

}  // namespace brood::tls
