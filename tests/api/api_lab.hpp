// Test support for the brood-api suites: seeded identities, a client that sends operator and
// node-signed requests, the lab's provider and client options, an in-process API served over
// TLS (serving), knot_api — knotd taking RFC 2136 updates and a bootstrapped brood — and
// rotation_lab, the same with three members and a scout state dir.
#pragma once

#include "support/api_request.hpp"
#include "support/dns_lab.hpp"
#include "support/identity.hpp"
#include "support/rt_test.hpp"

#include <brood/rt/wall_clock.hpp>
#include <brood/api/api.hpp>
#include <brood/api/set_edit.hpp>
#include <brood/http/h2_client.hpp>
#include <brood/http/server.hpp>
#include <brood/provider/rfc2136.hpp>
#include <brood/records/node.hpp>
#include <brood/rt/task_scope.hpp>

#include <filesystem>

namespace brood::test {

inline const std::string secret(32, '\x33');
inline const std::string token = "operator-token-for-tests";

inline crypto::identity seeded(std::uint8_t b) { return identity_of(b); }

struct client {
  http::h2_client http;
  std::string authority;
  /// `at`: the time the request is signed at (0: now), for a scout whose clock the test moved.
  rt::task<http::response> send(std::string method, std::string path, std::string body, const crypto::identity* node,
                                bool op, std::int64_t at = 0) {
    auto r = api_request(std::move(method), std::move(path), std::move(body), node, op ? token : "",
                         at ? at : rt::unix_ms());
    auto resp = co_await http.request(authority, std::move(r));
    co_return or_599(std::move(resp));
  }
};

inline std::string register_body(const crypto::identity& node, const std::string& host, const std::string& ep,
                                 std::int64_t ts = 0) {
  records::pending_record p{node.pk(), host, {ep}, ts ? ts : rt::unix_ms()};
  const auto owner = records::names("brood.test").pending_shard(records::shard_of(node.pk(), 16));
  return "{\"record\":\"" + records::encode(p, owner, node) + "\"}";
}

/// The RFC 2136 provider for `lab`'s knotd, signing with the update key.
inline std::unique_ptr<provider::rfc2136_provider> lab_provider(const dns_lab& lab) {
  provider::rfc2136_options po;
  po.server = net::socket_address::ipv4_loopback(lab.knot_port);
  po.zone = "brood.test";
  po.key = {"brood-update", secret};
  return std::make_unique<provider::rfc2136_provider>(po);
}

/// HTTP/2 client options that trust `pki`'s CA.
inline http::client_options trusting(const test_pki& pki) {
  http::client_options co;
  tls::client_options tco;
  tco.ca_file = pki.ca_file();
  co.tls = *tls::context::client(tco);
  return co;
}

/// An in-process API served over TLS (the lab's certificate) on a loopback port, with a client
/// for it. stop_serving() must be awaited before it is destroyed.
struct serving {
  std::unique_ptr<api::api> service;
  std::unique_ptr<http::server> server;
  std::optional<net::listener> l;
  std::optional<tls::server_credentials> creds;
  rt::task_scope servers{rt::no_parent};
  std::unique_ptr<client> c;

  /// Starts `s` (the brood read, a journal finished) and serves it.
  rt::task<void> serve_api(std::unique_ptr<api::api> s, const dns_lab& lab) {
    service = std::move(s);
    std::string why;
    auto started = co_await service->start(&why);
    BOOST_REQUIRE_MESSAGE(started.has_value(), "api start: " << why);
    http::server_options so;
    so.access_log = [](const http::access_entry&) {};
    server = std::make_unique<http::server>(service->router(), so);
    auto bound = net::listener::bind(net::socket_address::ipv4_loopback(0));
    auto loaded = tls::server_credentials::load({lab.leaf.cert_file, lab.leaf.key_file});
    BOOST_REQUIRE((bound.has_value() && loaded.has_value()));
    l.emplace(std::move(*bound));
    creds.emplace(std::move(*loaded));
    servers.spawn(server->serve(*l, &*creds));
    c.reset(new client{http::h2_client(trusting(lab.pki)), "localhost:" + std::to_string(l->local_address()->port())});
  }
  rt::task<void> stop_serving() {
    if (c) co_await c->http.close();
    if (server) server->shutdown();
    co_await servers.join();
  }
};

/// knotd taking updates, the RFC 2136 provider, a bootstrapped brood, and an in-process API
/// serving it over TLS, with a client. stop() is the caller's, as with the lab.
struct knot_api : serving {
  test::dns_lab lab{"", crypto::base64(crypto::bytes_of(secret))};
  std::unique_ptr<provider::rfc2136_provider> dns;
  crypto::identity scout = seeded(1);
  api::brood_key key{1, crypto::random_secret_key()};
  api::api_options options{"brood.test", token};  // set before start()

  rt::task<bool> start() {
    const bool up = co_await lab.start();
    if (!up) co_return false;
    dns = lab_provider(lab);
    std::string why;
    const api::bootstrap_params params{65077, "10.77.0.0/16"};
    auto boot = co_await api::bootstrap(*dns, records::names("brood.test"), scout, key, params, &why);
    BOOST_REQUIRE_MESSAGE(boot.has_value(), why);
    auto service_made = std::make_unique<api::api>(options, *dns, scout, key);  // a named local: GCC 12
    co_await serve_api(std::move(service_made), lab);                         // and co_await temporaries
    co_return true;
  }
};

/// knotd, a bootstrapped brood with three approved nodes in vlan 100 and a scout state dir
/// (node.key, brood.key) as brood-api finds it; serve() then serves an in-process API over it.
struct rotation_lab : serving {
  test::dns_lab lab{"", crypto::base64(crypto::bytes_of(secret))};
  std::string state;
  crypto::identity scout = seeded(1);
  crypto::identity nodes[3] = {seeded(40), seeded(41), seeded(42)};
  std::unique_ptr<provider::rfc2136_provider> dns;

  rotation_lab() {
    char t[] = "/tmp/brood-state-XXXXXX";
    state = ::mkdtemp(t);
  }
  ~rotation_lab() { std::filesystem::remove_all(state); }

  /// Serves an API over the state dir with the brood.key setup() wrote, and a client for it.
  rt::task<void> serve() { return serve(api::api_options{"brood.test", token}); }  // not a coroutine (GCC 12)
  rt::task<void> serve(api::api_options o) {
    auto key = api::load_brood_key(state + "/brood.key");
    BOOST_REQUIRE(key.has_value());
    o.state_dir = state;
    auto made = std::make_unique<api::api>(std::move(o), *dns, scout, *key);
    co_await serve_api(std::move(made), lab);
  }

  rt::task<bool> setup() {
    const bool up = co_await lab.start();
    if (!up) co_return false;
    dns = lab_provider(lab);
    // The scout's own files, as brood-api would find them.
    auto id = crypto::identity::load_or_create(state + "/node.key");
    if (!id) co_return false;
    scout = std::move(*id);
    api::brood_key key{1, crypto::random_secret_key()};
    if (!api::save_brood_key(state + "/brood.key", key)) co_return false;
    std::string why;
    const api::bootstrap_params params{65077, "10.77.0.0/16"};
    auto boot = co_await api::bootstrap(*dns, records::names("brood.test"), scout, key, params, &why);
    if (!boot) co_return false;
    serving first;  // an API for the setup alone; serve() starts the one under test
    auto made = std::make_unique<api::api>(api::api_options{"brood.test", token, state}, *dns, scout, key);
    co_await first.serve_api(std::move(made), lab);
    client& c = *first.c;
    bool ok = true;
    auto vlan = co_await c.send("POST", "/vlans", R"({"vni":100,"name":"blue","subnet":"10.200.0.0/24"})", nullptr, true);
    ok = ok && vlan.status == 201;
    int i = 0;
    for (auto& node : nodes) {
      auto r = co_await c.send("POST", "/register", register_body(node, "n", "192.0.2.9:51820"), &node, false);
      ok = ok && r.status == 202;
      r = co_await c.send("POST", "/approve/" + node.id10(), "", nullptr, true);
      ok = ok && r.status == 200;
      const std::string member = "{\"id\":\"" + node.id10() + "\",\"ip\":\"10.200.0." + std::to_string(10 + i) + "\"}";
      ++i;
      r = co_await c.send("POST", "/vlans/100/members", member, nullptr, true);
      ok = ok && r.status == 201;
    }
    co_await first.stop_serving();
    co_return ok;
  }
};

}  // namespace brood::test
