// brood-bench-read: the figures of SPEC §9's "one full sync" for bench/read/run.
//
//   brood-bench-read zone DIR [NODES VLANS]  writes DIR/zone (the brood's records, master-file
//                                            lines) and DIR/queries (the DoH GET paths of one
//                                            full read, for h2load -i)
//   brood-bench-read read URL CA RUNS [NODES VLANS]
//                                            a cold read (empty view), then RUNS steady-state
//                                            reads (nothing changed) over one DoH connection;
//                                            prints queries, bytes, wall and CPU ms per read
//   brood-bench-read fold RUNS [NODES VLANS] verify + decrypt + diff alone, on the same records
//                                            without the network
#include "records/fixture.hpp"

#include <brood/crypto/box.hpp>
#include <brood/records/view_reader.hpp>
#include <brood/rt/reactor.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

using namespace brood;
using namespace brood::records;

namespace {

const names domain("brood.test");
constexpr unsigned self_index = 5;

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
double wall_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

/// The names one full read asks for, as read_view does (own _m shards of every vlan).
std::vector<std::string> read_names(const test::brood_fixture& b) {
  std::vector<std::string> out{domain.meta(), domain.vlans(), domain.liveness()};
  for (auto& s : all_shards(16)) out.push_back(domain.node_shard(s));
  for (auto& v : b.state.vlans) out.push_back(domain.member_shard(shard_of(b.nodes[self_index].pk(), 16), v.vni));
  return out;
}

int write_zone(const std::string& dir, unsigned nodes, unsigned vlans) {
  test::brood_fixture b(nodes, vlans);
  auto set = build_record_set(b.state, domain, b.scout);
  if (auto v = check_limits(set)) {
    std::fprintf(stderr, "over the limits at %s (%zu)\n", v->owner.c_str(), v->size);
    return 1;
  }
  std::ofstream(dir + "/zone") << zone_text(set, 60);
  std::ofstream q(dir + "/queries");
  for (auto& name : read_names(b)) {
    auto msg = dns::build_query(name, dns::record_type::txt);
    q << "/dns-query?dns=" << crypto::base64url(crypto::bytes_of(*msg)) << '\n';
  }
  std::printf("%zu records under %zu names, %zu bytes of zone\n", set.record_count(), set.by_name().size(),
              zone_text(set, 60).size());
  return 0;
}

struct sample {
  read_report report;
  double wall = 0, cpu = 0;
};

rt::task<int> read_runs(std::string url, std::string ca, unsigned runs, unsigned nodes, unsigned vlans) {
  test::brood_fixture b(nodes, vlans);
  dns::doh_options o;
  o.url = url;
  o.use_get = true;
  tls::client_options co;
  co.ca_file = ca;
  o.tls = *tls::context::client(co);
  auto doh = dns::doh_client::make(o);
  if (!doh) {
    std::fprintf(stderr, "doh client: %s\n", doh.error().message().c_str());
    co_return 1;
  }
  // The connection is set up by a first query, outside the measured reads (a node keeps it).
  (void)co_await (*doh)->query(domain.meta(), dns::record_type::txt);

  trust_store t;
  t.scouts = {b.scout.pk()};
  t.keys = {b.state.key};
  view v;
  std::vector<sample> samples;
  for (unsigned i = 0; i <= runs; ++i) {
    view before = v;
    sample s;
    double w0 = wall_ms(), c0 = thread_cpu_ms();
    s.report = co_await read_view(**doh, domain, b.nodes[self_index].pk(), t, v);
    auto d = diff(before, v, b.nodes[self_index].pk());
    s.cpu = thread_cpu_ms() - c0;
    s.wall = wall_ms() - w0;
    if (!s.report.problems.empty() || v.nodes().size() != nodes || (i > 0 && !d.empty())) {
      std::fprintf(stderr, "read %u: %zu problems (first: %s: %s), %zu nodes\n", i, s.report.problems.size(),
                   s.report.problems.empty() ? "" : s.report.problems[0].owner.c_str(),
                   s.report.problems.empty() ? "" : s.report.problems[0].reason.message().c_str(), v.nodes().size());
      co_await (*doh)->close();
      co_return 1;
    }
    samples.push_back(std::move(s));
  }
  co_await (*doh)->close();
  auto& cold = samples.front();
  std::vector<double> wall, cpu;
  for (std::size_t i = 1; i < samples.size(); ++i) {
    wall.push_back(samples[i].wall);
    cpu.push_back(samples[i].cpu);
  }
  std::printf("connections %llu\n", static_cast<unsigned long long>((*doh)->stats().connections_opened));
  std::printf("cold   queries %u round_trips %u bytes %zu wall_ms %.2f cpu_ms %.2f\n", cold.report.queries,
              cold.report.round_trips, cold.report.answer_bytes, cold.wall, cold.cpu);
  std::printf("steady queries %u round_trips %u bytes %zu wall_ms %.2f cpu_ms %.2f (median of %u)\n",
              samples.back().report.queries, samples.back().report.round_trips, samples.back().report.answer_bytes,
              median(wall), median(cpu), runs);
  co_return 0;
}

int fold_runs(unsigned runs, unsigned nodes, unsigned vlans) {
  test::brood_fixture b(nodes, vlans);
  auto set = build_record_set(b.state, domain, b.scout);
  const auto self = b.nodes[self_index].pk();
  auto get = [&](const std::string& owner) { return set.by_name().at(owner); };
  std::vector<double> cold, steady;
  for (unsigned r = 0; r < runs; ++r) {
    trust_store t;
    t.scouts = {b.scout.pk()};
    t.keys = {b.state.key};
    view v;
    for (int pass = 0; pass < 2; ++pass) {
      view before = v;
      std::vector<problem> p;
      double c0 = thread_cpu_ms();
      apply_meta(v, t, domain, get(domain.meta()), p);
      apply_vlans(v, t, domain, get(domain.vlans()), p);
      apply_liveness(v, t, domain, get(domain.liveness()), p, b.state.ts);
      for (auto& s : all_shards(16)) apply_node_shard(v, t, domain, s, get(domain.node_shard(s)), p);
      for (auto& vl : b.state.vlans)
        apply_member_shard(v, t, domain, shard_of(self, 16), vl.vni, get(domain.member_shard(shard_of(self, 16), vl.vni)), p);
      auto d = diff(before, v, self);
      double ms = thread_cpu_ms() - c0;
      if (!p.empty() || d.empty() != (pass == 1)) {
        std::fprintf(stderr, "fold: %zu problems\n", p.size());
        return 1;
      }
      (pass == 0 ? cold : steady).push_back(ms);
    }
  }
  std::printf("fold   cold_cpu_ms %.2f steady_cpu_ms %.2f (median of %u)\n", median(cold), median(steady), runs);
  return 0;
}

unsigned arg(int argc, char** argv, int i, unsigned def) { return argc > i ? static_cast<unsigned>(std::atoi(argv[i])) : def; }

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "zone" && argc >= 3) return write_zone(argv[2], arg(argc, argv, 3, 100), arg(argc, argv, 4, 10));
  if (cmd == "fold" && argc >= 3) return fold_runs(arg(argc, argv, 2, 20), arg(argc, argv, 3, 100), arg(argc, argv, 4, 10));
  if (cmd == "read" && argc >= 5) {
    rt::reactor r;
    return r.block_on(read_runs(argv[2], argv[3], arg(argc, argv, 4, 20), arg(argc, argv, 5, 100), arg(argc, argv, 6, 10)));
  }
  std::fprintf(stderr, "usage: brood-bench-read zone DIR [NODES VLANS] | read URL CA RUNS [NODES VLANS] | fold RUNS [NODES VLANS]\n");
  return 2;
}
