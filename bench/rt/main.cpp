// brood-bench-rt: brood's runtime against Boost.Asio (epoll), side by side in one run.
// Each scenario runs on both, alternating, `--runs` times; the median of each is printed with
// the ratio brood / asio. Everything stays on loopback.
#include "bench.hpp"

#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct row {
  const char* name;
  const char* unit;
  double (*brood)(const bench::scenario_args&);
  double (*asio)(const bench::scenario_args&);
  bench::scenario_args args;
};

}  // namespace

void bench::pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (cpu < CPU_SETSIZE && cpu >= 0) (void)sched_setaffinity(0, sizeof set, &set);
}

int main(int argc, char** argv) {
  int runs = 5;
  double seconds = 2.0;
  std::string only, impl = "both";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
    else if (!std::strcmp(argv[i], "--impl") && i + 1 < argc) impl = argv[++i];  // for profiling one side
    else {
      std::fprintf(stderr, "usage: brood-bench-rt [--runs N] [--seconds S] [--only NAME] [--impl brood|asio|both]\n");
      return 2;
    }
  }
  std::vector<row> rows = {
      {"tcp_echo_1", "round trips/s", bench::brood_tcp_echo, bench::asio_tcp_echo, {1, seconds}},
      {"tcp_echo_64", "round trips/s", bench::brood_tcp_echo, bench::asio_tcp_echo, {64, seconds}},
      {"udp_echo_16", "round trips/s", bench::brood_udp_echo, bench::asio_udp_echo, {16, seconds}},
      {"timer_churn", "re-arms/s", bench::brood_timer_churn, bench::asio_timer_churn, {1, seconds, 10000, 100}},
  };
  bench::pin_to_cpu(0);
  std::printf("brood runtime vs Boost.Asio (epoll): median of %d runs, %.1f s each, loopback\n", runs, seconds);
  std::printf("%-14s %16s %16s %8s  %s\n", "scenario", "brood", "asio", "ratio", "unit");
  for (auto& r : rows) {
    if (!only.empty() && only != r.name) continue;
    std::vector<double> b, a;
    for (int i = 0; i < runs; ++i) {
      b.push_back(impl != "asio" ? r.brood(r.args) : 0.0);
      a.push_back(impl != "brood" ? r.asio(r.args) : 0.0);
    }
    double mb = median(b), ma = median(a);
    std::printf("%-14s %16.0f %16.0f %7.2fx  %s\n", r.name, mb, ma, ma > 0 ? mb / ma : 0.0, r.unit);
    std::fflush(stdout);
  }
  return 0;
}
