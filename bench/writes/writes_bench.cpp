// brood-bench-writes: SPEC §9's "provider writes, steady state ≤ 60 per 5 minutes" and the
// removal figure of issue 5, measured on brood-api over HTTPS with either provider, each
// against its peer: the Cloudflare provider and tests/cloudflare_fake (which counts every call),
// or RFC 2136 and knotd (whose SOA serial counts every update it applied).
//
//   brood-bench-writes [NODES=100] [MINUTES=5] [cloudflare|rfc2136]
//
// NODES nodes are registered and approved, then MINUTES of steady state run on the API's clock
// (virtual time, so five minutes take seconds): every node heartbeats every 30 s, one goes
// silent after a minute, the scout's liveness task runs every keepalive. Printed: heartbeats,
// provider writes and calls, and the peer design it replaces — one provider write per
// heartbeat — side by side. Then one node is removed with NODES - 1 survivors: wall time from
// the call until the API answers (every survivor's _k written and the switch done), calls and
// writes.
#include "support/api_request.hpp"
#include "cloudflare_fake/fake_server.hpp"
#include "support/dns_lab.hpp"

#include <brood/rt/wall_clock.hpp>
#include <brood/api/api.hpp>
#include <brood/provider/rfc2136.hpp>
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

crypto::identity numbered(std::uint32_t n) { return test::numbered(0xbe, n); }

test::cloudflare_fake_options fake_options() {
  test::cloudflare_fake_options o;
  o.rate_limit = 1'000'000;  // the bench counts calls in virtual time; the fake's window is real time
  return o;
}

/// The provider under test and the peer that counts its writes.
struct backend {
  virtual ~backend() = default;
  virtual const char* name() const = 0;
  virtual rt::task<bool> start() = 0;
  virtual provider::provider& dns() = 0;
  virtual const test::test_pki& pki() const = 0;
  virtual const test::test_pki::leaf& leaf() const = 0;
  /// Writes applied, as the peer counts them.
  virtual rt::task<std::uint64_t> writes() = 0;
  /// Requests the peer received (-1: it does not count them).
  virtual std::int64_t calls() = 0;
  virtual rt::task<void> stop() = 0;
};

struct cloudflare_backend final : backend {
  test::cloudflare_fake_server cf{fake_options()};
  std::unique_ptr<provider::cloudflare_provider> p;
  const char* name() const override { return "cloudflare (tests/cloudflare_fake)"; }
  rt::task<bool> start() override {
    auto o = cf.options();
    o.budget = 100000;  // the bench counts calls; it does not ration them
    p = std::move(*provider::cloudflare_provider::make(o));
    co_return true;
  }
  provider::provider& dns() override { return *p; }
  const test::test_pki& pki() const override { return cf.pki; }
  const test::test_pki::leaf& leaf() const override { return cf.leaf; }
  rt::task<std::uint64_t> writes() override { co_return cf.fake.writes(); }
  std::int64_t calls() override { return static_cast<std::int64_t>(cf.fake.calls()); }
  rt::task<void> stop() override {
    if (p) co_await p->close();
    co_await cf.stop();
  }
};

const std::string tsig_secret(32, '\x5a');

struct knot_backend final : backend {
  test::dns_lab lab{"", crypto::base64(crypto::bytes_of(tsig_secret))};
  std::unique_ptr<provider::rfc2136_provider> p;
  const char* name() const override { return "rfc2136 (knotd)"; }
  rt::task<bool> start() override {
    const bool up = co_await lab.start();
    if (!up) co_return false;
    provider::rfc2136_options o;
    o.server = net::socket_address::ipv4_loopback(lab.knot_port);
    o.zone = "brood.test";
    o.key = {"brood-update", tsig_secret};
    p = std::make_unique<provider::rfc2136_provider>(o);
    co_return true;
  }
  provider::provider& dns() override { return *p; }
  const test::test_pki& pki() const override { return lab.pki; }
  const test::test_pki::leaf& leaf() const override { return lab.leaf; }
  /// knotd bumps the SOA serial once per update it applies.
  rt::task<std::uint64_t> writes() override {
    rt::process_options o;
    o.out = rt::process_options::stdio::pipe;
    o.err = rt::process_options::stdio::null;
    std::vector<std::string> argv{"kdig", "@127.0.0.1", "-p", std::to_string(lab.knot_port), "+short", "brood.test", "SOA"};
    auto proc = rt::process::spawn(argv, o);
    if (!proc) co_return 0;
    auto out = co_await rt::read_to_end(proc->stdout_fd());
    (void)co_await proc->wait();
    unsigned long long serial = 0;
    if (out) (void)std::sscanf(out->c_str(), "%*s %*s %llu", &serial);
    co_return serial;
  }
  std::int64_t calls() override { return -1; }
  rt::task<void> stop() override { co_await lab.stop(); }
};

struct bench {
  std::unique_ptr<backend> peer;
  crypto::identity scout = numbered(0xffff);
  std::string state;
  std::unique_ptr<api::api> service;
  std::unique_ptr<http::server> server;
  net::listener listener = std::move(*net::listener::bind(net::socket_address::ipv4_loopback(0)));
  std::optional<tls::server_credentials> creds;
  rt::task_scope scope{rt::no_parent};
  std::unique_ptr<http::h2_client> http;
  std::string authority;
};

std::string calls_text(std::int64_t calls) { return calls < 0 ? std::string("-") : std::to_string(calls); }

rt::task<http::response> send(bench* b, std::string method, std::string path, std::string body,
                              const crypto::identity* node) {
  auto r = test::api_request(std::move(method), std::move(path), std::move(body), node, node ? "" : token, virtual_now);
  auto resp = co_await b->http->request(b->authority, std::move(r));
  co_return test::or_599(std::move(resp));
}

rt::task<void> beat(bench* b, const crypto::identity* node, int* failures) {
  auto r = co_await send(b, "POST", "/heartbeat", "{\"kv\":1}", node);
  if (r.status != 200) {
    if (++*failures <= 3) std::fprintf(stderr, "heartbeat: %d %s\n", r.status, r.body.c_str());
  }
}

rt::task<int> measure(bench& b, unsigned nodes, unsigned minutes) {
  const bool started = co_await b.peer->start();
  if (!started) {
    std::fprintf(stderr, "%s did not start\n", b.peer->name());
    co_return 1;
  }
  provider::provider& dns = b.peer->dns();
  b.creds.emplace(std::move(*tls::server_credentials::load({b.peer->leaf().cert_file, b.peer->leaf().key_file})));
  std::printf("provider: %s\n", b.peer->name());
  char t[] = "/tmp/brood-bench-state-XXXXXX";
  b.state = ::mkdtemp(t);
  api::brood_key key{1, crypto::random_secret_key()};
  std::string why;
  const api::bootstrap_params params{65077, "10.77.0.0/16"};
  auto boot = co_await api::bootstrap(dns, records::names("brood.test"), b.scout, key, params, &why);
  if (!boot) {
    std::fprintf(stderr, "bootstrap: %s\n", why.c_str());
    co_return 1;
  }
  api::api_options ao{"brood.test", token, b.state};
  ao.clock = [] { return virtual_now; };
  ao.requests = ao.registrations = {0, 0};  // 100 nodes from one address in no time: no per-client limit
  b.service = std::make_unique<api::api>(ao, dns, b.scout, key);
  http::server_options so;
  so.access_log = [](const http::access_entry&) {};
  b.server = std::make_unique<http::server>(b.service->router(), so);
  b.scope.spawn(b.server->serve(b.listener, &*b.creds));
  http::client_options co;
  tls::client_options tco;
  tco.ca_file = b.peer->pki().ca_file();
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
    rt::task_scope s{rt::no_parent};
    for (auto& id : ids) s.spawn(beat(&b, &id, &failures));
    co_await s.join();
  }

  // Steady state.
  const auto calls0 = b.peer->calls();
  const auto writes0 = co_await b.peer->writes();
  unsigned heartbeats = 0;
  const unsigned silent = nodes / 2;  // goes quiet after a minute
  for (unsigned second = 1; second <= minutes * 60; ++second) {
    virtual_now += 1000;
    {
      rt::task_scope s{rt::no_parent};
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
  const auto writes1 = co_await b.peer->writes();
  const auto writes = writes1 - writes0;
  const auto calls = calls0 < 0 ? -1 : b.peer->calls() - calls0;
  std::printf("steady state, %u nodes, %u min: heartbeats %u (failed %d), provider writes %llu, provider calls %s\n",
              nodes, minutes, heartbeats, failures, static_cast<unsigned long long>(writes), calls_text(calls).c_str());
  std::printf("peer design (a provider write per heartbeat): %u writes; brood: %llu (%.1fx fewer); target <= 60: %s\n",
              heartbeats, static_cast<unsigned long long>(writes),
              writes ? static_cast<double>(heartbeats) / static_cast<double>(writes) : 0.0, writes <= 60 ? "met" : "NOT met");

  // A removal with nodes - 1 survivors.
  const auto c1 = b.peer->calls();
  const auto w1 = co_await b.peer->writes();
  const auto t0 = std::chrono::steady_clock::now();
  auto r = co_await send(&b, "DELETE", "/nodes/" + ids[0].id10(), "", nullptr);
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto c2 = b.peer->calls();
  const auto w2 = co_await b.peer->writes();
  // Every survivor's _k, read back through the provider: sealed for the new key version.
  std::size_t keys = 0;
  const records::names names("brood.test");
  for (unsigned i = 1; i < nodes; ++i) {
    auto k = co_await dns.get(names.key(ids[i].id10()), provider::rr_type::txt, &why);
    if (!k) continue;
    for (auto& text : *k)
      if (auto rec = records::decode_key(text, names.key(ids[i].id10()), std::vector<crypto::public_key>{b.scout.pk()});
          rec && rec->kv == 2)
        ++keys;
  }
  std::printf("removal with %u survivors: %d in %.3f s, %zu survivors' _k at kv=2, provider calls %s, writes %llu\n",
              nodes - 1, r.status, secs, keys, calls_text(c1 < 0 ? -1 : c2 - c1).c_str(),
              static_cast<unsigned long long>(w2 - w1));

  co_return r.status == 200 && keys == nodes - 1 ? 0 : 1;
}

rt::task<int> run(unsigned nodes, unsigned minutes, std::string kind) {
  bench b;
  if (kind == "rfc2136")
    b.peer = std::make_unique<knot_backend>();
  else
    b.peer = std::make_unique<cloudflare_backend>();
  const int status = co_await measure(b, nodes, minutes);
  if (b.http) co_await b.http->close();
  if (b.server) b.server->shutdown();
  co_await b.scope.join();
  co_await b.peer->stop();
  if (!b.state.empty()) std::filesystem::remove_all(b.state);
  co_return status;
}

}  // namespace

int main(int argc, char** argv) {
  const unsigned nodes = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 100;
  const unsigned minutes = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2])) : 5;
  const std::string kind = argc > 3 ? argv[3] : "cloudflare";
  if (kind != "cloudflare" && kind != "rfc2136") {
    std::fprintf(stderr, "usage: brood-bench-writes [NODES] [MINUTES] [cloudflare|rfc2136]\n");
    return 2;
  }
  rt::reactor r;
  return r.block_on(run(nodes, minutes, kind));
}
