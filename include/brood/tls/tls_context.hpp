// TLS configuration (BoringSSL): client and server contexts, and server credentials that can
// be reloaded from disk without dropping connections.
//
// Client contexts trust the system store (/etc/ssl/certs) and, when a caller gives one, an extra
// file — never one an environment variable names behind the caller's back, so a lab's anchors
// reach only the clients configured with them (the agent's DoH and API, broodctl), never
// brood-api's Cloudflare client. They verify the peer's chain and name. Server
// contexts load a certificate chain and key from PEM files and pick ALPN h2, else http/1.1.
// Both speak TLS 1.2 and 1.3. Lifetime: contexts are shared; a connection keeps the context it
// was created with, so replacing credentials never disturbs connections already open.
#pragma once

#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>

#include <ctime>
#include <memory>
#include <string>
#include <vector>

struct ssl_ctx_st;

namespace brood::tls {

using rt::result;

/// Errors from BoringSSL (the packed library/reason code).
const std::error_category& tls_category() noexcept;
/// Certificate verification failures (X509_V_ERR_*).
const std::error_category& verify_category() noexcept;

struct client_options {
  std::vector<std::string> alpn{"h2"};
  bool system_trust = true;
  std::string ca_file;  // extra trust anchors (PEM)
  bool tls12_only = false;  // for tests of the TLS 1.2 path
};

struct server_options {
  std::string cert_file;  // PEM chain, leaf first
  std::string key_file;   // PEM private key
  std::vector<std::string> alpn{"h2", "http/1.1"};
};

class context {
 public:
  static result<std::shared_ptr<context>> client(const client_options& o);
  static result<std::shared_ptr<context>> server(const server_options& o);
  context(const context&) = delete;
  context& operator=(const context&) = delete;
  ~context();

  ssl_ctx_st* native() const noexcept { return _ctx; }
  bool is_server() const noexcept { return _server; }

 private:
  context(ssl_ctx_st* ctx, bool server, std::vector<unsigned char> alpn) noexcept
      : _ctx(ctx), _server(server), _alpn(std::move(alpn)) {}
  static int select_alpn(void* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                         unsigned inlen, void* self) noexcept;
  ssl_ctx_st* _ctx;
  bool _server;
  std::vector<unsigned char> _alpn;  // wire format: length-prefixed names, in preference order
};

/// A server context that follows its certificate and key files: reload_if_changed() builds a
/// new context when either file's modification time changed, and keeps the old one if the new
/// files do not load (a half-written renewal must not take the server down).
class server_credentials {
 public:
  static result<server_credentials> load(server_options o);
  std::shared_ptr<context> current() const noexcept { return _current; }
  /// True if a new context was loaded; an error if the files changed but did not load.
  rt::task<result<bool>> reload_if_changed();

 private:
  server_options _opts;
  std::shared_ptr<context> _current;
  timespec _cert_mtime{}, _key_mtime{};
};

}  // namespace brood::tls
