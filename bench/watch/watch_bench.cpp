// brood-bench-watch: the fast path of SPEC §5.9 — how long an operator action takes to reach
// NODES nodes holding GET /watch open, against DNS polling measured side by side.
//
//   brood-bench-watch [NODES=100] [ROUNDS=20] [POLL_MS=1000]
//
// A brood of NODES members is written into knotd through brood-api (RFC 2136, the lab's
// provider), served over TLS on loopback. Every node opens its own TLS connection and holds
// /watch, as an agent does. Each round the operator creates a vlan; measured from the request
// until each node has received the write (every watcher's arrival, p50/p99/max), and the API's
// own answer time (the provider write is inside it). Node 0 also folds every write into its view
// (verify, decrypt) to show what arrives is usable; its CPU per write is printed. The peer: a
// DoH client polling the vlans' name through unbound every POLL_MS (a compressed sync interval;
// an agent polls every 30 s), with a random phase, timed from the same start until it sees the
// new vlan. knotd itself sometimes takes 0.1–1 s to answer an UPDATE (seen with the provider's
// own timing, whatever the number of watchers), so the write and the stream's share are printed
// apart.
#include "support/api_request.hpp"
#include "support/dns_lab.hpp"

#include <brood/rt/wall_clock.hpp>
#include <brood/api/api.hpp>
#include <brood/http/h2_client.hpp>
#include <brood/http/server.hpp>
#include <brood/json/value.hpp>
#include <brood/provider/rfc2136.hpp>
#include <brood/records/node.hpp>
#include <brood/records/view_update.hpp>
#include <brood/rt/reactor.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/wait_slot.hpp>
#include <brood/rt/with_timeout.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

using namespace brood;
using namespace std::chrono_literals;

namespace {

const std::string token = "bench-operator-token";
const std::string tsig_secret(32, '\x5b');
using steady = std::chrono::steady_clock;

crypto::identity numbered(std::uint32_t n) { return test::numbered(0xfa, n); }

struct watcher {
  crypto::identity id;
  std::unique_ptr<http::h2_client> http;
  std::unique_ptr<http::response_stream> stream;
  std::string buf;
};

struct bench {
  test::dns_lab lab{"", crypto::base64(crypto::bytes_of(tsig_secret))};
  std::unique_ptr<provider::rfc2136_provider> dns;
  crypto::identity scout = numbered(0xffff);
  api::brood_key key{1, crypto::random_secret_key()};
  std::unique_ptr<api::api> service;
  std::unique_ptr<http::server> server;
  std::optional<net::listener> listener;
  std::optional<tls::server_credentials> creds;
  rt::task_scope servers{rt::no_parent};
  std::shared_ptr<tls::context> client_tls;
  std::unique_ptr<http::h2_client> op;
  std::string authority;
  std::vector<watcher> watchers;

  // The round being measured.
  steady::time_point start;
  std::vector<double> arrivals_ms;  // one per watcher, this round
  unsigned arrived = 0;
  bool measuring = false;
  rt::wait_slot all_arrived;
  // Node 0's view, folded from the stream.
  records::view view;
  records::trust_store trust;
  double fold_ms_total = 0;
  unsigned folds = 0;
  unsigned fold_problems = 0;
};

rt::task<http::response> send(bench& b, std::string method, std::string path, std::string body,
                              const crypto::identity* node) {
  auto r = test::api_request(std::move(method), std::move(path), std::move(body), node, node ? "" : token,
                             rt::unix_ms());
  auto resp = co_await b.op->request(b.authority, std::move(r));
  co_return test::or_599(std::move(resp));
}

void fold_write(bench& b, const std::string& line) {
  const auto t0 = steady::now();
  auto doc = json::parse(line, json::parse_limits{16 << 20, 64});
  if (!doc) {
    ++b.fold_problems;
    return;
  }
  std::vector<records::pushed_set> sets;
  if (auto* arr = doc->find("sets") ? doc->find("sets")->as_array() : nullptr)
    for (auto& s : *arr) {
      records::pushed_set p;
      p.owner = *s.find("name")->as_string();
      for (auto& v : *s.find("values")->as_array()) p.values.push_back(*v.as_string());
      sets.push_back(std::move(p));
    }
  std::vector<records::problem> problems;
  const auto self = b.watchers[0].id.pk();
  (void)records::apply_pushed(b.view, b.trust, records::names("brood.test"), &self, std::move(sets), problems,
                              rt::unix_ms());
  b.fold_problems += static_cast<unsigned>(problems.size());
  b.fold_ms_total += std::chrono::duration<double, std::milli>(steady::now() - t0).count();
  ++b.folds;
}

rt::task<void> watch_loop(bench* b, std::size_t i) {
  watcher& w = b->watchers[i];
  for (;;) {
    auto chunk = co_await w.stream->read();
    if (!chunk || chunk->empty()) co_return;  // cancelled at the end, or the stream ended
    w.buf += *chunk;
    for (auto nl = w.buf.find('\n'); nl != std::string::npos; nl = w.buf.find('\n')) {
      std::string line = w.buf.substr(0, nl);
      w.buf.erase(0, nl + 1);
      if (!line.starts_with("{\"seq\"")) continue;  // hello, ping
      if (b->measuring && b->arrivals_ms[i] < 0) {
        b->arrivals_ms[i] = std::chrono::duration<double, std::milli>(steady::now() - b->start).count();
        if (++b->arrived == b->watchers.size()) b->all_arrived.notify();
      }
      if (i == 0) fold_write(*b, line);
    }
  }
}

/// Polls _vl through unbound every `interval` from a random phase; records when it first sees
/// `vlans` vlan records after `start`.
rt::task<void> poll_loop(bench* b, dns::doh_client* doh, std::chrono::milliseconds interval, std::size_t want,
                         double* seen_ms) {
  std::mt19937 rng(static_cast<unsigned>(want * 7919));
  (void)co_await rt::sleep_for(std::chrono::milliseconds(rng() % static_cast<unsigned>(interval.count())));
  for (;;) {
    auto a = co_await doh->txt("_vl.brood.test", rt::io_options{rt::clock::now() + 2s});
    if (a && a->size() == want + 1) {  // the header and `want` vlans
      *seen_ms = std::chrono::duration<double, std::milli>(steady::now() - b->start).count();
      co_return;
    }
    auto s = co_await rt::sleep_for(interval);
    if (!s) co_return;
  }
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

rt::task<int> measure(bench& b, unsigned nodes, unsigned rounds, std::chrono::milliseconds poll) {
  const bool up = co_await b.lab.start();
  if (!up) {
    std::fprintf(stderr, "the DNS lab did not start (knotd, unbound, dnsdist)\n");
    co_return 1;
  }
  provider::rfc2136_options po;
  po.server = net::socket_address::ipv4_loopback(b.lab.knot_port);
  po.zone = "brood.test";
  po.key = {"brood-update", tsig_secret};
  b.dns = std::make_unique<provider::rfc2136_provider>(po);
  std::string why;
  const api::bootstrap_params params{65077, "10.77.0.0/16"};
  auto boot = co_await api::bootstrap(*b.dns, records::names("brood.test"), b.scout, b.key, params, &why);
  if (!boot) {
    std::fprintf(stderr, "bootstrap: %s\n", why.c_str());
    co_return 1;
  }
  api::api_options ao{"brood.test", token};
  ao.requests = ao.registrations = {0, 0};  // every node from one address: no per-client limit
  ao.watch.max_watchers = nodes + 16;
  b.service = std::make_unique<api::api>(ao, *b.dns, b.scout, b.key);
  http::server_options so;
  so.access_log = [](const http::access_entry&) {};
  so.max_concurrent_streams = 256;
  b.server = std::make_unique<http::server>(b.service->router(), so);
  b.listener.emplace(std::move(*net::listener::bind(net::socket_address::ipv4_loopback(0))));
  b.creds.emplace(std::move(*tls::server_credentials::load({b.lab.leaf.cert_file, b.lab.leaf.key_file})));
  b.servers.spawn(b.server->serve(*b.listener, &*b.creds));
  tls::client_options tco;
  tco.ca_file = b.lab.pki.ca_file();
  b.client_tls = *tls::context::client(tco);
  http::client_options co;
  co.tls = b.client_tls;
  b.op = std::make_unique<http::h2_client>(co);
  b.authority = "localhost:" + std::to_string(b.listener->local_address()->port());

  for (unsigned i = 0; i < nodes; ++i) {
    watcher w{numbered(i), std::make_unique<http::h2_client>(co), nullptr, {}};
    records::pending_record p{w.id.pk(), "node-" + std::to_string(i), {"203.0.113.1:51820"}, rt::unix_ms()};
    const auto owner = records::names("brood.test").pending_shard(records::shard_of(w.id.pk(), 16));
    auto r = co_await send(b, "POST", "/register", "{\"record\":\"" + records::encode(p, owner, w.id) + "\"}", &w.id);
    auto a = co_await send(b, "POST", "/approve/" + w.id.id10(), "", nullptr);
    if (r.status != 202 || a.status != 200) {
      std::fprintf(stderr, "setup: register %d, approve %d %s\n", r.status, a.status, a.body.c_str());
      co_return 1;
    }
    b.watchers.push_back(std::move(w));
  }
  // Node 0 starts from a DoH read, as an agent does, then follows the stream.
  b.trust.scouts = {b.scout.pk()};
  b.trust.keys = {b.key.key};
  auto doh = b.lab.client(false);
  std::vector<records::problem> ignored;
  {
    auto meta = co_await doh->txt("_meta.brood.test");
    records::texts texts;
    if (meta)
      for (auto& t : *meta) texts.push_back(t.text());
    records::apply_meta(b.view, b.trust, records::names("brood.test"), texts, ignored);
  }
  for (auto& w : b.watchers) {
    http::request r;
    r.path = "/watch";
    auth::sign_request(r, w.id, "brood.test", rt::unix_ms());
    auto s = co_await w.http->open(b.authority, r, rt::io_options{rt::clock::now() + 10s});
    if (!s || (*s)->status() != 200) {
      std::fprintf(stderr, "watch: %s\n", s ? std::to_string((*s)->status()).c_str() : s.error().message().c_str());
      co_return 1;
    }
    w.stream = std::move(*s);
  }
  rt::task_scope loops{rt::no_parent};
  for (std::size_t i = 0; i < b.watchers.size(); ++i) loops.spawn(watch_loop(&b, i));
  (void)co_await rt::sleep_for(200ms);  // every hello read
  auto metrics = co_await send(b, "GET", "/metrics", "", nullptr);
  const auto at = metrics.body.find("\nbrood_api_watchers ");
  std::printf("%u nodes, each on its own TLS connection; the scout reports %s open watch streams\n", nodes,
              at == std::string::npos ? "?" : metrics.body.substr(at + 20, metrics.body.find('\n', at + 1) - at - 20).c_str());

  std::vector<double> all, api_ms, poll_ms, after_answer;
  int status = 0;
  for (unsigned round = 0; round < rounds; ++round) {
    b.arrivals_ms.assign(b.watchers.size(), -1);
    b.arrived = 0;
    double seen = -1;
    b.start = steady::now();
    b.measuring = true;
    rt::task_scope poller{rt::no_parent};
    poller.spawn(poll_loop(&b, doh.get(), poll, round + 1, &seen));
    const std::uint32_t vni = 100 + round;
    const std::string body = "{\"vni\":" + std::to_string(vni) + ",\"name\":\"v" + std::to_string(vni) +
                             "\",\"subnet\":\"10.200." + std::to_string(round) + ".0/24\"}";
    auto r = co_await send(b, "POST", "/vlans", body, nullptr);
    api_ms.push_back(std::chrono::duration<double, std::milli>(steady::now() - b.start).count());
    if (std::getenv("BROOD_BENCH_VERBOSE")) std::printf("round %u: api %.2f ms\n", round, api_ms.back());
    if (r.status != 201) {
      std::fprintf(stderr, "round %u: POST /vlans %d %s\n", round, r.status, r.body.c_str());
      status = 1;
    }
    if (b.arrived < b.watchers.size()) {
      auto w = co_await rt::with_timeout(5s, [&b] { return b.all_arrived.wait(); });
      (void)w;
    }
    b.measuring = false;
    co_await poller.join();
    for (double a : b.arrivals_ms) {
      if (a < 0) status = 1;  // a watcher missed the write
      all.push_back(a);
      after_answer.push_back(a - api_ms.back());
    }
    poll_ms.push_back(seen);
  }
  loops.cancel();
  co_await loops.join();

  const bool node0_ok = b.view.vlans && b.view.vlans->members.size() == rounds;
  std::printf("operator action -> all %u watchers have the write (%u rounds, %zu samples):\n", nodes, rounds, all.size());
  std::printf("  watch:   p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", percentile(all, 0.5), percentile(all, 0.99),
              percentile(all, 1.0));
  std::printf("  the API's answer (provider write inside): p50 %.2f ms, p99 %.2f ms\n", percentile(api_ms, 0.5),
              percentile(api_ms, 0.99));
  std::printf("  arrival relative to the API's answer (the stream's own share; < 0: before it): p50 %+.2f ms, "
              "p99 %+.2f ms, max %+.2f ms\n",
              percentile(after_answer, 0.5), percentile(after_answer, 0.99), percentile(after_answer, 1.0));
  std::printf("  peer, DoH polling through unbound every %lld ms: p50 %.1f ms, p99 %.1f ms (ratio p50 %.0fx)\n",
              static_cast<long long>(poll.count()), percentile(poll_ms, 0.5), percentile(poll_ms, 0.99),
              percentile(all, 0.5) > 0 ? percentile(poll_ms, 0.5) / percentile(all, 0.5) : 0.0);
  std::printf("  node 0 folded %u writes from the stream (verify, decrypt): %.3f ms each, %u problems; its view "
              "holds all %u new vlans: %s\n",
              b.folds, b.folds ? b.fold_ms_total / b.folds : 0.0, b.fold_problems, rounds, node0_ok ? "yes" : "NO");
  std::printf("  target (SPEC 9: applied on all nodes p99 <= 1 s; delivery is the scout's share): %s\n",
              percentile(all, 0.99) <= 1000 ? "met" : "NOT met");
  if (!node0_ok) status = 1;
  co_await doh->close();
  co_return status;
}

rt::task<int> run(unsigned nodes, unsigned rounds, std::chrono::milliseconds poll) {
  bench b;
  const int status = co_await measure(b, nodes, rounds, poll);
  for (auto& w : b.watchers) {
    w.stream.reset();
    co_await w.http->close();
  }
  if (b.op) co_await b.op->close();
  if (b.server) b.server->shutdown();
  co_await b.servers.join();
  co_await b.lab.stop();
  co_return status;
}

}  // namespace

int main(int argc, char** argv) {
  const unsigned nodes = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 100;
  const unsigned rounds = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2])) : 20;
  const auto poll = std::chrono::milliseconds(argc > 3 ? std::atoi(argv[3]) : 1000);
  if (nodes == 0 || rounds == 0 || poll.count() <= 0) {
    std::fprintf(stderr, "usage: brood-bench-watch [NODES] [ROUNDS] [POLL_MS]\n");
    return 2;
  }
  rt::reactor r;
  return r.block_on(run(nodes, rounds, poll));
}
