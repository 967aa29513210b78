// Timers: the heap, sleeps, 10,000 concurrent timers in deadline order, drift-free periodic
// schedules, and with_timeout over tasks and ops.
#include "support/rt_test.hpp"

#include <brood/rt/ops.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/with_timeout.hpp>

#include <unistd.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

using namespace brood::rt;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(timer)

BOOST_AUTO_TEST_CASE(heap_matches_a_reference_ordering) {
  std::mt19937 rng(1234);
  std::vector<timer_node> nodes(2000);
  timer_heap heap;
  std::multimap<std::pair<long, std::uint64_t>, timer_node*> ref;
  auto t0 = clock::time_point{};
  for (int round = 0; round < 20000; ++round) {
    auto& n = nodes[rng() % nodes.size()];
    if (n.armed()) {
      ref.erase(ref.find({n.deadline.time_since_epoch().count(), n.seq}));
      heap.erase(n);
    } else {
      n.deadline = t0 + std::chrono::nanoseconds(rng() % 100);  // many ties
      heap.push(n);
      ref.insert({{n.deadline.time_since_epoch().count(), n.seq}, &n});
    }
    BOOST_REQUIRE(heap.size() == ref.size());
    if (!ref.empty()) BOOST_REQUIRE(heap.top() == ref.begin()->second);
  }
  while (!ref.empty()) {
    BOOST_REQUIRE(heap.pop() == ref.begin()->second);
    ref.erase(ref.begin());
  }
  BOOST_TEST(heap.empty());
}

BROOD_RT_TEST(sleep_never_returns_early) {
  for (auto d : {0ms, 1ms, 5ms, 20ms}) {
    auto start = clock::now();
    auto r = co_await sleep_for(d);
    BOOST_TEST(r.has_value());
    BOOST_TEST((clock::now() - start >= d));
  }
}

struct fire_log {
  std::vector<std::pair<clock::time_point, clock::time_point>> fired;  // deadline, woke at
  int armed_late = 0;  // armed after its deadline: the order check would not mean anything
};

static brood::rt::task<void> sleeper(clock::time_point deadline, fire_log* log) {
  if (clock::now() >= deadline) ++log->armed_late;
  auto r = co_await sleep_until(deadline);
  BOOST_REQUIRE(r.has_value());
  log->fired.emplace_back(deadline, clock::now());
}

BROOD_RT_TEST(ten_thousand_timers_fire_in_deadline_order) {
  std::mt19937 rng(42);
  fire_log log;
  log.fired.reserve(10000);
  task_scope scope{no_parent};
  auto base = clock::now() + 300ms;  // every timer is armed before the first is due
  for (int i = 0; i < 10000; ++i) scope.spawn(sleeper(base + std::chrono::microseconds(rng() % 200000), &log));
  co_await scope.join();
  BOOST_REQUIRE(log.fired.size() == 10000u);
  BOOST_REQUIRE(log.armed_late == 0);
  bool ordered = std::is_sorted(log.fired.begin(), log.fired.end(),
                                [](auto& a, auto& b) { return a.first < b.first; });
  BOOST_TEST(ordered);
  bool never_early = std::all_of(log.fired.begin(), log.fired.end(), [](auto& f) { return f.second >= f.first; });
  BOOST_TEST(never_early);
}

BROOD_RT_TEST(periodic_deadlines_do_not_drift) {
  auto start = clock::now();
  periodic tick(3ms, start);
  for (int i = 1; i <= 20; ++i) {
    if (i == 5) ::usleep(8000);  // a late wake-up must not push later ticks back
    auto r = co_await tick.next();
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST((tick.deadline() == start + i * 3ms));
    BOOST_TEST((clock::now() >= tick.deadline()));
  }
}

static brood::rt::task<int> slow_value() {
  (void)co_await sleep_for(10s);
  co_return 1;
}
static brood::rt::task<result<int>> quick_result() {
  (void)co_await sleep_for(1ms);
  co_return 7;
}
static brood::rt::task<void> slow_void() { (void)co_await sleep_for(10s); }

BROOD_RT_TEST(with_timeout_cuts_slow_work_and_passes_fast_work) {
  auto start = clock::now();
  auto a = co_await with_timeout(20ms, slow_value());
  BOOST_TEST((a.error() == std::errc::timed_out));
  BOOST_TEST((clock::now() - start < 5s));
  auto b = co_await with_timeout(5s, quick_result());
  BOOST_TEST((b.has_value() && *b == 7));
  auto c = co_await with_timeout(10ms, slow_void());
  BOOST_TEST((c.error() == std::errc::timed_out));
}

BROOD_RT_TEST(with_timeout_bounds_a_raw_op) {
  int p[2];
  BOOST_REQUIRE(::pipe(p) == 0);
  std::byte buf[16];
  auto r = co_await with_timeout(15ms, [&] { return brood::rt::read(p[0], buf); });
  BOOST_TEST((r.error() == std::errc::timed_out));
  // The op's own deadline, from the reactor's timer heap...
  auto start = clock::now();
  auto r2 = co_await brood::rt::read(p[0], buf, -1, io_options{start + 15ms});
  BOOST_TEST((r2.error() == std::errc::timed_out));
  BOOST_TEST((clock::now() - start >= 15ms));
  // ...or from a kernel timeout linked behind the read: one more SQE and CQE.
  auto sqes = reactor::current().stats().sqes;
  start = clock::now();
  auto r3 = co_await brood::rt::read(p[0], buf, -1, io_options{start + 15ms, true});
  BOOST_TEST((r3.error() == std::errc::timed_out));
  BOOST_TEST((clock::now() - start >= 15ms));
  BOOST_TEST(reactor::current().stats().sqes - sqes == 2u);  // the read and its linked timeout
  // A deadline that does not fire leaves the result alone.
  BOOST_REQUIRE(::write(p[1], "x", 1) == 1);
  auto r4 = co_await brood::rt::read(p[0], buf, -1, io_options{clock::now() + 5s, true});
  BOOST_TEST((r4.has_value() && *r4 == 1u));
  BOOST_REQUIRE(::write(p[1], "y", 1) == 1);
  auto r5 = co_await brood::rt::read(p[0], buf, -1, io_options{clock::now() + 5s});
  BOOST_TEST((r5.has_value() && *r5 == 1u));
  BOOST_TEST(reactor::current().armed_timers() == 0u);
  ::close(p[0]);
  ::close(p[1]);
}

static brood::rt::task<void> cancelled_sleeper(bool* saw_cancel) {
  auto r = co_await sleep_for(10s);
  *saw_cancel = is_cancelled(r.error());
}

BROOD_RT_TEST(a_cancelled_sleep_wakes_at_once) {
  bool saw = false;
  task_scope scope{no_parent};
  scope.spawn(cancelled_sleeper(&saw));
  (void)co_await sleep_for(1ms);
  auto start = clock::now();
  scope.cancel();
  co_await scope.join();
  BOOST_TEST(saw);
  BOOST_TEST((clock::now() - start < 1s));
}

BOOST_AUTO_TEST_SUITE_END()
