// brood-bench-writes: SPEC §9's "provider writes, steady state ≤ 60 per 5 minutes" and the
// removal figure of issue 5, measured on brood-api over HTTPS with the Cloudflare provider and
// tests/cloudflare_fake, which counts every call.
//
//   brood-bench-writes [NODES=100] [MINUTES=5]
//
// NODES nodes are registered and approved, then MINUTES of steady state run on the API's clock
// (virtual time, so five minutes take seconds): every node heartbeats every 30 s, one goes
// silent after a minute, the scout's liveness task runs every keepalive. Printed: heartbeats,
// provider writes and calls, and the peer design it replaces — one provider write per
// heartbeat — side by side. Then one node is removed with NODES - 1 survivors: wall time from
// the call until the API answers (every survivor's _k written and the switch done), calls and
// writes.
#include "cloudflare_fake/fake_server.hpp"

#include <brood/api/api.hpp>
#include <brood/records/node.hpp>
#include <brood/rt/reactor.hpp>

#include <chrono>
#include <filesystem>
#include <cstdio>
#include <cstdlib>

using namespace brood;

namespace {

const std::string token = "bench-operator-token";
std::int64_t virtual_now = 1'763'779'200'000;

crypto::identity numbered(std::uint32_t n) {
  std::array<std::uint8_t, 32> seed{};
  seed[0] = 0xbe;
  seed[1] = static_cast<std::uint8_t>(n >> 8);
  seed[2] = static_cast<std::uint8_t>(n);
  return crypto::identity::from_seed(seed);
}

test::cloudflare_fake_options fake_options() {
  test::cloudflare_fake_options o;
  o.rate_limit = 1'000'000;  // the bench counts calls in virtual time; the fake's window is real time
  return o;
}

struct bench {
  test::cloudflare_fake_server cf{fake_options()};
  std::unique_ptr<provider::cloudflare_provider> dns;
  crypto::identity scout = numbered(0xffff);
  std::string state;
  std::unique_ptr<api::api> service;
  std::unique_ptr<http::server> server;
  net::listener listener = std::move(*net::listener::bind(net::socket_address::ipv4_loopback(0)));
  tls::server_credentials creds = std::move(*tls::server_credentials::load({cf.leaf.cert_file, cf.leaf.key_file}));
  rt::task_scope scope;
  std::unique_ptr<http::h2_client> http;
  std::string authority;
};

rt::task<http::response> send(bench* b, std::string method, std::string path, std::string body,
                              const crypto::identity* node) {
  http::request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  if (node)
    auth::sign_request(r, *node, "brood.test", virtual_now);
  else
    r.headers.push_back({"authorization", "Bearer " + token});
  auto resp = co_await b->http->request(b->authority, std::move(r));
  co_return resp ? std::move(*resp) : http::response{599, {}, resp.error().message()};
}

rt::task<void> beat(bench* b, const crypto::identity* node, int* failures) {
  auto r = co_await send(b, "POST", "/heartbeat", "{\"kv\":1}", node);
  if (r.status != 200) ++*failures;
}

rt::task<int> measure(bench& b, unsigned nodes, unsigned minutes) {
  auto o = b.cf.options();
  o.budget = 100000;  // the bench counts calls; it does not ration them
  b.dns = std::move(*provider::cloudflare_provider::make(o));
  char t[] = "/tmp/brood-bench-state-XXXXXX";
  b.state = ::mkdtemp(t);
  api::brood_key key{1, crypto::random_secret_key()};
  std::string why;
  const api::bootstrap_params params{65077, "10.77.0.0/16"};
  auto boot = co_await api::bootstrap(*b.dns, records::names("brood.test"), b.scout, key, params, &why);
  if (!boot) {
    std::fprintf(stderr, "bootstrap: %s\n", why.c_str());
    co_return 1;
  }
  api::api_options ao{"brood.test", token, b.state};
  ao.clock = [] { return virtual_now; };
  ao.requests = ao.registrations = {0, 0};  // 100 nodes from one address in no time: no per-client limit
  b.service = std::make_unique<api::api>(ao, *b.dns, b.scout, key);
  http::server_options so;
  so.access_log = [](const http::access_entry&) {};
  b.server = std::make_unique<http::server>(b.service->router(), so);
  b.scope.spawn(b.server->serve(b.listener, &b.creds));
  http::client_options co;
  tls::client_options tco;
  tco.ca_file = b.cf.pki.ca_file();
  co.tls = *tls::context::client(tco);
  b.http = std::make_unique<http::h2_client>(co);
  b.authority = "localhost:" + std::to_string(b.listener.local_address()->port());

  std::vector<crypto::identity> ids;
  for (unsigned i = 0; i < nodes; ++i) {
    ids.push_back(numbered(i));
    records::pending_record p{ids.back().pk(), "node-" + std::to_string(i), {"203.0.113.1:51820"}, virtual_now};
    const auto owner = records::names("brood.test").pending_shard(records::shard_of(ids.back().pk(), 16));
    auto r = co_await send(&b, "POST", "/register", "{\"record\":\"" + records::encode(p, owner, ids.back()) + "\"}",
                           &ids.back());
    auto a = co_await send(&b, "POST", "/approve/" + ids.back().id10(), "", nullptr);
    if (r.status != 202 || a.status != 200) {
      std::fprintf(stderr, "setup: register %d, approve %d %s\n", r.status, a.status, a.body.c_str());
      co_return 1;
    }
  }
  // Each node picks up its _k and says so once (that write belongs to the approval).
  int failures = 0;
  {
    rt::task_scope s;
    for (auto& id : ids) s.spawn(beat(&b, &id, &failures));
    co_await s.join();
  }

  // Steady state.
  const auto calls0 = b.cf.fake.calls(), writes0 = b.cf.fake.writes();
  unsigned heartbeats = 0;
  const unsigned silent = nodes / 2;  // goes quiet after a minute
  for (unsigned second = 1; second <= minutes * 60; ++second) {
    virtual_now += 1000;
    {
      rt::task_scope s;
      for (unsigned i = 0; i < nodes; ++i) {
        if ((second + i) % 30 != 0 || (i == silent && second > 60)) continue;
        s.spawn(beat(&b, &ids[i], &failures));
        ++heartbeats;
      }
      co_await s.join();
    }
    if (second % 30 == 0) {
      auto w = co_await b.service->write_liveness(virtual_now, &why);
      if (!w) {
        std::fprintf(stderr, "liveness: %s\n", why.c_str());
        co_return 1;
      }
    }
  }
  const auto writes = b.cf.fake.writes() - writes0, calls = b.cf.fake.calls() - calls0;
  std::printf("steady state, %u nodes, %u min: heartbeats %u (failed %d), provider writes %llu, provider calls %llu\n",
              nodes, minutes, heartbeats, failures, static_cast<unsigned long long>(writes),
              static_cast<unsigned long long>(calls));
  std::printf("peer design (a provider write per heartbeat): %u writes; brood: %llu (%.1fx fewer); target <= 60: %s\n",
              heartbeats, static_cast<unsigned long long>(writes),
              writes ? static_cast<double>(heartbeats) / static_cast<double>(writes) : 0.0, writes <= 60 ? "met" : "NOT met");

  // A removal with nodes - 1 survivors.
  const auto c1 = b.cf.fake.calls(), w1 = b.cf.fake.writes();
  const auto t0 = std::chrono::steady_clock::now();
  auto r = co_await send(&b, "DELETE", "/nodes/" + ids[0].id10(), "", nullptr);
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::size_t keys = 0;
  for (auto& rec : b.cf.fake.records())
    if (rec.name.starts_with("_k.")) ++keys;
  std::printf("removal with %u survivors: %d in %.3f s, %zu _k records written, provider calls %llu, writes %llu\n",
              nodes - 1, r.status, secs, keys, static_cast<unsigned long long>(b.cf.fake.calls() - c1),
              static_cast<unsigned long long>(b.cf.fake.writes() - w1));

  co_return r.status == 200 && keys == nodes - 1 ? 0 : 1;
}

rt::task<int> run(unsigned nodes, unsigned minutes) {
  bench b;
  const int status = co_await measure(b, nodes, minutes);
  if (b.http) co_await b.http->close();
  if (b.server) b.server->shutdown();
  co_await b.scope.join();
  if (b.dns) co_await b.dns->close();
  co_await b.cf.stop();
  if (!b.state.empty()) std::filesystem::remove_all(b.state);
  co_return status;
}

}  // namespace

int main(int argc, char** argv) {
  const unsigned nodes = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 100;
  const unsigned minutes = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2])) : 5;
  rt::reactor r;
  return r.block_on(run(nodes, minutes));
}
