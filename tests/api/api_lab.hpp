// Test support for the brood-api suites: seeded identities, a client that sends operator and
// node-signed requests, and knot_api — knotd taking RFC 2136 updates, a bootstrapped brood and
// an in-process API serving it over TLS.
#pragma once

#include "support/dns_lab.hpp"
#include "support/rt_test.hpp"

#include <brood/api/api.hpp>
#include <brood/api/set_edit.hpp>
#include <brood/http/h2_client.hpp>
#include <brood/http/server.hpp>
#include <brood/provider/rfc2136.hpp>
#include <brood/records/node.hpp>
#include <brood/rt/task_scope.hpp>

namespace brood::test {

inline const std::string secret(32, '\x33');
inline const std::string token = "operator-token-for-tests";

inline crypto::identity seeded(std::uint8_t b) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(b);
  return crypto::identity::from_seed(seed);
}

struct client {
  http::h2_client http;
  std::string authority;
  rt::task<http::response> send(std::string method, std::string path, std::string body, const crypto::identity* node,
                                bool op) {
    http::request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    if (op) r.headers.push_back({"authorization", "Bearer " + token});
    if (node) auth::sign_request(r, *node, "brood.test", api::now_ms());
    auto resp = co_await http.request(authority, std::move(r));
    co_return resp ? std::move(*resp) : http::response{599, {}, resp.error().message()};
  }
};

inline std::string register_body(const crypto::identity& node, const std::string& host, const std::string& ep) {
  records::pending_record p{node.pk(), host, {ep}, api::now_ms()};
  const auto owner = records::names("brood.test").pending_shard(records::shard_of(node.pk(), 16));
  return "{\"record\":\"" + records::encode(p, owner, node) + "\"}";
}

/// knotd taking updates, the RFC 2136 provider, a bootstrapped brood, and an in-process API
/// serving it over TLS, with a client. stop() is the caller's, as with the lab.
struct knot_api {
  test::dns_lab lab{"", crypto::base64(crypto::bytes_of(secret))};
  std::unique_ptr<provider::rfc2136_provider> dns;
  crypto::identity scout = seeded(1);
  api::brood_key key{1, crypto::random_secret_key()};
  api::api_options options{"brood.test", token};  // set before start()
  std::unique_ptr<api::api> service;
  std::unique_ptr<http::server> server;
  std::optional<net::listener> l;
  std::optional<tls::server_credentials> creds;
  rt::task_scope servers;
  std::unique_ptr<client> c;

  rt::task<bool> start() {
    if (!co_await lab.start()) co_return false;
    provider::rfc2136_options po;
    po.server = net::socket_address::ipv4_loopback(lab.knot_port);
    po.zone = "brood.test";
    po.key = {"brood-update", secret};
    dns = std::make_unique<provider::rfc2136_provider>(po);
    std::string why;
    const api::bootstrap_params params{65077, "10.77.0.0/16"};
    auto boot = co_await api::bootstrap(*dns, records::names("brood.test"), scout, key, params, &why);
    BOOST_REQUIRE_MESSAGE(boot.has_value(), why);
    service = std::make_unique<api::api>(options, *dns, scout, key);
    http::server_options so;
    so.access_log = [](const http::access_entry&) {};
    server = std::make_unique<http::server>(service->router(), so);
    auto bound = net::listener::bind(net::socket_address::ipv4_loopback(0));
    auto loaded = tls::server_credentials::load({lab.leaf.cert_file, lab.leaf.key_file});
    BOOST_REQUIRE((bound.has_value() && loaded.has_value()));
    l.emplace(std::move(*bound));
    creds.emplace(std::move(*loaded));
    servers.spawn(server->serve(*l, &*creds));
    http::client_options co;
    tls::client_options tco;
    tco.ca_file = lab.pki.ca_file();
    co.tls = *tls::context::client(tco);
    c.reset(new client{http::h2_client(co), "localhost:" + std::to_string(l->local_address()->port())});
    co_return true;
  }
};

}  // namespace brood::test
