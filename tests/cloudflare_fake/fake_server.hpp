// cloudflare_fake_server: the fake served over TLS and HTTP/2 by brood's own server on a
// loopback port, and Cloudflare provider options that reach it. Lifetime: stop() must be
// awaited before destruction.
#pragma once

#include "cloudflare_fake/cloudflare_fake.hpp"
#include "support/test_pki.hpp"

#include <brood/http/server.hpp>
#include <brood/net/listener.hpp>
#include <brood/provider/cloudflare.hpp>
#include <brood/rt/task_scope.hpp>

namespace brood::test {

struct cloudflare_fake_server {
  test_pki pki;
  test_pki::leaf leaf = pki.issue("api", {"DNS:localhost"});
  cloudflare_fake fake;
  http::server server;
  net::listener listener = std::move(*net::listener::bind(net::socket_address::ipv4_loopback(0)));
  tls::server_credentials creds = std::move(*tls::server_credentials::load({leaf.cert_file, leaf.key_file}));
  rt::task_scope scope{rt::no_parent};

  explicit cloudflare_fake_server(cloudflare_fake_options o = {}) : fake(o), server(fake.router(), quiet()) {
    scope.spawn(server.serve(listener, &creds));
  }
  static http::server_options quiet() {
    http::server_options o;
    o.access_log = [](const http::access_entry&) {};
    return o;
  }
  provider::cloudflare_options options(std::string token = cloudflare_fake_options{}.token) {
    provider::cloudflare_options o;
    o.api = "https://localhost:" + std::to_string(listener.local_address()->port()) + "/client/v4";
    o.token = std::move(token);
    o.zone_id = cloudflare_fake_options{}.zone_id;
    tls::client_options co;
    co.ca_file = pki.ca_file();
    o.tls = *tls::context::client(co);
    o.timeout = std::chrono::seconds(10);
    return o;
  }
  rt::task<void> stop() {
    server.shutdown();
    co_await scope.join();
  }
};

}  // namespace brood::test
