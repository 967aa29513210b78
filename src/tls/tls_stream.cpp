// tls_stream: the custom BIO, handshake, read, write and flush over the runtime's socket ops.
#include <brood/rt/async_mutex.hpp>
#include <brood/tls/tls_stream.hpp>

#include <openssl/is_boringssl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#if !defined(OPENSSL_IS_BORINGSSL) || defined(OPENSSL_VERSION_MAJOR)
#error "brood must be built against BoringSSL, never OpenSSL"
#endif

#include <arpa/inet.h>

#include <cstring>
#include <vector>

namespace brood::tls {

struct stream::state {
  net::stream sock;
  std::shared_ptr<context> ctx;
  SSL* ssl = nullptr;
  std::vector<std::byte> rx = std::vector<std::byte>(16 * 1024 + 512);  // one TLS record and a header
  std::size_t rx_begin = 0, rx_end = 0;
  bool rx_eof = false;
  std::vector<std::byte> tx, tx_flight;
  rt::async_mutex send_lock;

  ~state() { SSL_free(ssl); }

  /// Sends whatever ciphertext the last SSL calls produced, one send at a time.
  rt::task<result<void>> flush(io_options o) {
    if (tx.empty()) co_return result<void>{};
    auto g = co_await send_lock.lock();
    if (!g) co_return g.error();
    while (!tx.empty()) {
      std::swap(tx, tx_flight);
      auto r = co_await sock.send_all(tx_flight, o);
      tx_flight.clear();
      if (!r) co_return r.error();
    }
    co_return result<void>{};
  }

  /// Receives more ciphertext; false at the transport's end of stream.
  rt::task<result<bool>> fill(io_options o) {
    if (rx_begin == rx_end) rx_begin = rx_end = 0;
    if (rx_end == rx.size()) {  // compact what SSL has not consumed yet
      std::memmove(rx.data(), rx.data() + rx_begin, rx_end - rx_begin);
      rx_end -= rx_begin;
      rx_begin = 0;
    }
    auto n = co_await sock.recv(std::span(rx).subspan(rx_end), o);
    if (!n) co_return n.error();
    if (*n == 0) {
      rx_eof = true;
      co_return false;
    }
    rx_end += *n;
    co_return true;
  }

  std::error_code error_for(int ret) {
    int e = SSL_get_error(ssl, ret);
    if (e == SSL_ERROR_SSL) {
      long v = SSL_get_verify_result(ssl);
      uint32_t packed = ERR_peek_error();
      ERR_clear_error();
      if (v != X509_V_OK) return {static_cast<int>(v), verify_category()};
      if (packed) return {static_cast<int>(packed), tls_category()};
      return std::make_error_code(std::errc::protocol_error);
    }
    if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN) return std::make_error_code(std::errc::connection_reset);
    ERR_clear_error();
    return std::make_error_code(std::errc::protocol_error);
  }
};

namespace {

int bio_write(BIO* b, const char* in, int len) {
  auto* st = static_cast<stream::state*>(BIO_get_data(b));
  auto* p = reinterpret_cast<const std::byte*>(in);
  st->tx.insert(st->tx.end(), p, p + len);
  return len;
}

int bio_read(BIO* b, char* out, int len) {
  auto* st = static_cast<stream::state*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  std::size_t avail = st->rx_end - st->rx_begin;
  if (avail == 0) {
    if (st->rx_eof) return 0;
    BIO_set_retry_read(b);
    return -1;
  }
  std::size_t n = std::min<std::size_t>(avail, static_cast<std::size_t>(len));
  std::memcpy(out, st->rx.data() + st->rx_begin, n);
  st->rx_begin += n;
  return static_cast<int>(n);
}

long bio_ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

const BIO_METHOD* bio_method() {
  static BIO_METHOD* m = [] {
    BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "brood");
    BIO_meth_set_write(bm, bio_write);
    BIO_meth_set_read(bm, bio_read);
    BIO_meth_set_ctrl(bm, bio_ctrl);
    BIO_meth_set_create(bm, bio_create);
    return bm;
  }();
  return m;
}

std::unique_ptr<stream::state> make_state(net::stream s, std::shared_ptr<context> ctx, std::error_code& ec) {
  auto st = std::make_unique<stream::state>();
  st->sock = std::move(s);
  st->ssl = SSL_new(ctx->native());
  st->ctx = std::move(ctx);
  BIO* bio = BIO_new(bio_method());
  if (!st->ssl || !bio) {
    BIO_free(bio);
    ec = std::make_error_code(std::errc::not_enough_memory);
    return nullptr;
  }
  BIO_set_data(bio, st.get());
  SSL_set_bio(st->ssl, bio, bio);  // SSL owns the BIO (one reference for both directions)
  return st;
}

}  // namespace

stream::stream(std::unique_ptr<state> st) noexcept : _st(std::move(st)) {}
stream::stream(stream&&) noexcept = default;
stream& stream::operator=(stream&&) noexcept = default;
stream::~stream() = default;

rt::task<result<stream>> stream::connect(net::stream s, std::shared_ptr<context> ctx, std::string server_name,
                                         io_options o) {
  std::error_code ec;
  auto st = make_state(std::move(s), std::move(ctx), ec);
  if (!st) co_return ec;
  SSL_set_connect_state(st->ssl);
  in6_addr ip6;
  in_addr ip4;
  const bool is_ip = inet_pton(AF_INET, server_name.c_str(), &ip4) == 1 || inet_pton(AF_INET6, server_name.c_str(), &ip6) == 1;
  X509_VERIFY_PARAM* param = SSL_get0_param(st->ssl);
  // BoringSSL rejects a zero length (OpenSSL's "use strlen"): always pass it.
  int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, server_name.c_str())
                 : X509_VERIFY_PARAM_set1_host(param, server_name.data(), server_name.size());
  if (ok != 1 || (!is_ip && SSL_set_tlsext_host_name(st->ssl, server_name.c_str()) != 1))
    co_return std::make_error_code(std::errc::invalid_argument);
  co_return co_await handshake(std::move(st), o);
}

rt::task<result<stream>> stream::accept(net::stream s, std::shared_ptr<context> ctx, io_options o) {
  std::error_code ec;
  auto st = make_state(std::move(s), std::move(ctx), ec);
  if (!st) co_return ec;
  SSL_set_accept_state(st->ssl);
  co_return co_await handshake(std::move(st), o);
}

rt::task<result<stream>> stream::handshake(std::unique_ptr<state> st, io_options o) {
  for (;;) {
    int r = SSL_do_handshake(st->ssl);
    auto f = co_await st->flush(o);
    if (!f) co_return f.error();
    if (r == 1) co_return stream(std::move(st));
    if (SSL_get_error(st->ssl, r) != SSL_ERROR_WANT_READ) co_return st->error_for(r);
    auto more = co_await st->fill(o);
    if (!more) co_return more.error();
    if (!*more) co_return std::make_error_code(std::errc::connection_reset);
  }
}

rt::task<result<std::size_t>> stream::read(std::span<std::byte> buf, io_options o) {
  state& st = *_st;
  for (;;) {
    int n = SSL_read(st.ssl, buf.data(), static_cast<int>(std::min<std::size_t>(buf.size(), 1 << 30)));
    auto f = co_await st.flush(o);
    if (!f) co_return f.error();
    if (n > 0) co_return static_cast<std::size_t>(n);
    int e = SSL_get_error(st.ssl, n);
    if (e == SSL_ERROR_ZERO_RETURN) co_return std::size_t{0};
    if (e != SSL_ERROR_WANT_READ) {
      if (st.rx_eof) co_return std::size_t{0};  // the peer closed without close_notify
      co_return st.error_for(n);
    }
    auto more = co_await st.fill(o);
    if (!more) co_return more.error();
    if (!*more && st.rx_begin == st.rx_end) co_return std::size_t{0};
  }
}

rt::task<result<void>> stream::write_all(std::span<const std::byte> buf, io_options o) {
  state& st = *_st;
  while (!buf.empty()) {
    // The BIO accepts everything, so SSL_write never wants to write: it takes what we give.
    int chunk = static_cast<int>(std::min<std::size_t>(buf.size(), 1 << 20));
    int n = SSL_write(st.ssl, buf.data(), chunk);
    if (n <= 0) co_return st.error_for(n);
    buf = buf.subspan(static_cast<std::size_t>(n));
    auto f = co_await st.flush(o);
    if (!f) co_return f.error();
  }
  co_return result<void>{};
}

rt::task<result<void>> stream::shutdown(io_options o) {
  SSL_shutdown(_st->ssl);
  ERR_clear_error();
  co_return co_await _st->flush(o);
}

std::string_view stream::alpn() const noexcept {
  const unsigned char* p = nullptr;
  unsigned n = 0;
  SSL_get0_alpn_selected(_st->ssl, &p, &n);
  return {reinterpret_cast<const char*>(p), n};
}

std::string_view stream::version() const noexcept { return SSL_get_version(_st->ssl); }

std::string stream::peer_serial() const {
  X509* peer = SSL_get_peer_certificate(_st->ssl);
  if (!peer) return {};
  std::string out;
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(peer), nullptr);
  if (bn) {
    char* hex = BN_bn2hex(bn);
    out = hex;
    OPENSSL_free(hex);
    BN_free(bn);
  }
  X509_free(peer);
  return out;
}

net::stream& stream::transport() noexcept { return _st->sock; }

}  // namespace brood::tls
