// TLS contexts over BoringSSL: trust stores, certificates, ALPN, error categories, reload.
#include <brood/rt/ops.hpp>
#include <brood/tls/tls_context.hpp>

#include <openssl/is_boringssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#if !defined(OPENSSL_IS_BORINGSSL) || defined(OPENSSL_VERSION_MAJOR)
#error "brood must be built against BoringSSL, never OpenSSL"
#endif

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string_view>

namespace brood::tls {

namespace {

class tls_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tls"; }
  std::string message(int v) const override {
    const char* r = ERR_reason_error_string(static_cast<uint32_t>(v));
    const char* l = ERR_lib_error_string(static_cast<uint32_t>(v));
    return std::string(l ? l : "tls") + ": " + (r ? r : "unknown error");
  }
};

class verify_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "x509"; }
  std::string message(int v) const override { return X509_verify_cert_error_string(v); }
};

/// The oldest queued BoringSSL error as an error_code (and the queue cleared).
std::error_code last_tls_error() {
  uint32_t e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return std::make_error_code(std::errc::protocol_error);
  return {static_cast<int>(e), tls_category()};
}

std::vector<unsigned char> alpn_wire(const std::vector<std::string>& names) {
  std::vector<unsigned char> w;
  for (auto& n : names) {
    if (n.empty() || n.size() > 255) continue;
    w.push_back(static_cast<unsigned char>(n.size()));
    w.insert(w.end(), n.begin(), n.end());
  }
  return w;
}

}  // namespace

const std::error_category& tls_category() noexcept {
  static const tls_error_category c;
  return c;
}

const std::error_category& verify_category() noexcept {
  static const verify_error_category c;
  return c;
}

context::~context() { SSL_CTX_free(_ctx); }

result<std::shared_ptr<context>> context::client(const client_options& o) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (!ctx) return last_tls_error();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, o.tls12_only ? TLS1_2_VERSION : TLS1_3_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  auto fail = [&]() -> result<std::shared_ptr<context>> {
    auto ec = last_tls_error();
    SSL_CTX_free(ctx);
    return ec;
  };
  // The system's anchors through the hashed directory: a certificate is read when a chain needs
  // it, instead of parsing the whole bundle (~140 certificates, most of a megabyte of heap) into
  // every process.
  if (o.system_trust) SSL_CTX_load_verify_locations(ctx, nullptr, "/etc/ssl/certs");
  ERR_clear_error();  // a machine without the system bundle still works with explicit anchors
  if (!o.ca_file.empty() && SSL_CTX_load_verify_locations(ctx, o.ca_file.c_str(), nullptr) != 1) return fail();
  auto wire = alpn_wire(o.alpn);
  if (!wire.empty() && SSL_CTX_set_alpn_protos(ctx, wire.data(), wire.size()) != 0) return fail();
  return std::shared_ptr<context>(new context(ctx, false, std::move(wire)));
}

result<std::shared_ptr<context>> context::server(const server_options& o) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (!ctx) return last_tls_error();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, o.cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    auto ec = last_tls_error();
    SSL_CTX_free(ctx);
    return ec;
  }
  std::shared_ptr<context> c(new context(ctx, true, alpn_wire(o.alpn)));
  SSL_CTX_set_alpn_select_cb(
      ctx,
      [](SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
         void* self) { return select_alpn(ssl, out, outlen, in, inlen, self); },
      c.get());
  return c;
}

int context::select_alpn(void*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                         unsigned inlen, void* self) noexcept {
  // Our preference order wins over the client's.
  const auto& ours = static_cast<context*>(self)->_alpn;
  for (std::size_t i = 0; i < ours.size(); i += 1 + ours[i]) {
    std::string_view want(reinterpret_cast<const char*>(&ours[i + 1]), ours[i]);
    for (unsigned j = 0; j < inlen; j += 1u + in[j]) {
      if (j + 1u + in[j] > inlen) break;
      if (std::string_view(reinterpret_cast<const char*>(&in[j + 1]), in[j]) == want) {
        *out = &in[j + 1];
        *outlen = in[j];
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;  // no common protocol: refuse rather than guess
}

namespace {
rt::task<result<timespec>> mtime_of(const std::string& path) {
  struct statx sx {};
  auto r = co_await rt::statx_file(path, sx);
  if (!r) co_return r.error();
  co_return timespec{static_cast<time_t>(sx.stx_mtime.tv_sec), static_cast<long>(sx.stx_mtime.tv_nsec)};
}
bool same(const timespec& a, const timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }
}  // namespace

result<server_credentials> server_credentials::load(server_options o) {
  auto ctx = context::server(o);
  if (!ctx) return ctx.error();
  server_credentials c;
  struct stat st {};
  if (::stat(o.cert_file.c_str(), &st) == 0) c._cert_mtime = st.st_mtim;
  if (::stat(o.key_file.c_str(), &st) == 0) c._key_mtime = st.st_mtim;
  c._opts = std::move(o);
  c._current = std::move(*ctx);
  return c;
}

rt::task<result<bool>> server_credentials::reload_if_changed() {
  auto cert = co_await mtime_of(_opts.cert_file);
  if (!cert) co_return cert.error();
  auto key = co_await mtime_of(_opts.key_file);
  if (!key) co_return key.error();
  if (same(*cert, _cert_mtime) && same(*key, _key_mtime)) co_return false;
  auto ctx = context::server(_opts);
  if (!ctx) co_return ctx.error();
  _current = std::move(*ctx);
  _cert_mtime = *cert;
  _key_mtime = *key;
  co_return true;
}

}  // namespace brood::tls
