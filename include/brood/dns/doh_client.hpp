// doh_client: DNS over HTTPS (RFC 8484) — POST or GET of application/dns-message over one
// HTTP/2 connection, many queries multiplexed, a deadline per query, answers up to 65,535
// bytes. brood's own reads are never cached here: every call asks the server.
// Lifetime: close() must be awaited before destruction (it joins the connection's tasks).
#pragma once

#include <brood/dns/message.hpp>
#include <brood/http/h2_client.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace brood::dns {

/// BROOD_DOH, or Cloudflare's resolver.
std::string default_doh_url();

struct doh_options {
  std::string url = default_doh_url();  // https://host[:port]/path; http:// for h2c (tests)
  bool use_get = false;                 // GET ?dns=<base64url> instead of POST
  std::chrono::milliseconds timeout{5000};
  std::shared_ptr<tls::context> tls;    // null for https: a client context with the system trust
  http::resolver_fn resolve;            // how to find the DoH server's address
};

class doh_client {
 public:
  static result<std::unique_ptr<doh_client>> make(doh_options o);

  /// The raw answer, after HTTP and header checks (NXDOMAIN etc. are errors).
  rt::task<result<std::string>> query(std::string name, record_type type, rt::io_options o = {});
  rt::task<result<std::vector<txt_record>>> txt(std::string name, rt::io_options o = {});
  rt::task<result<std::vector<srv_record>>> srv(std::string name, rt::io_options o = {});

  rt::task<void> close() { return _http.close(); }
  /// Drops the connection to the server without a word (its path is gone: a changed local
  /// address, a server that stopped answering); the next query connects afresh.
  void reset() noexcept { _http.reset(); }
  const http::client_stats& stats() const noexcept { return _http.stats(); }

 private:
  doh_client(doh_options o, http::client_options co, std::string authority, std::string path);
  doh_options _opts;
  http::h2_client _http;
  std::string _authority, _path;
};

}  // namespace brood::dns
