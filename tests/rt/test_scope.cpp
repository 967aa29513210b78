// task_scope and the loop: spawn/join, cancel-all, nested scopes, errors, when_all's fan-out,
// and the budget that keeps ready work from starving I/O and timers.
#include "support/rt_test.hpp"

#include <brood/rt/ops.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>

#include <stdexcept>
#include <vector>

using namespace brood::rt;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(scope)

static brood::rt::task<void> count_after(clock::duration d, int* n) {
  auto r = co_await sleep_for(d);
  if (r) ++*n;
}

BROOD_RT_TEST(join_waits_for_every_task) {
  task_scope s{no_parent};
  int n = 0;
  for (int i = 0; i < 100; ++i) s.spawn(count_after(std::chrono::milliseconds(i % 7), &n));
  BOOST_TEST(s.live() == 100u);
  co_await s.join();
  BOOST_TEST(n == 100);
  BOOST_TEST(s.live() == 0u);
  co_await s.join();  // joining an empty scope completes at once
}

BROOD_RT_TEST(spawned_tasks_start_on_a_later_step) {
  task_scope s{no_parent};
  int n = 0;
  s.spawn(count_after(0ms, &n));
  BOOST_TEST(n == 0);
  co_await s.join();
  BOOST_TEST(n == 1);
}

BROOD_RT_TEST(cancel_stops_every_task_and_later_spawns) {
  task_scope s{no_parent};
  int n = 0;
  for (int i = 0; i < 50; ++i) s.spawn(count_after(10s, &n));
  co_await yield();
  auto start = clock::now();
  s.cancel();
  s.spawn(count_after(10s, &n));
  co_await s.join();
  BOOST_TEST(n == 0);
  BOOST_TEST((clock::now() - start < 1s));
}

static brood::rt::task<void> nested(int* n) {
  auto parent = co_await current_token();
  task_scope inner(parent);
  for (int i = 0; i < 10; ++i) inner.spawn(count_after(10s, n));
  co_await inner.join();
}

BROOD_RT_TEST(cancelling_an_outer_scope_reaches_inner_scopes) {
  task_scope outer{no_parent};
  int n = 0;
  outer.spawn(nested(&n));
  outer.spawn(nested(&n));
  (void)co_await sleep_for(1ms);
  outer.cancel();
  co_await outer.join();
  BOOST_TEST(n == 0);
}

static brood::rt::task<void> fails() {
  co_await yield();
  throw std::runtime_error("task failed");
}

BROOD_RT_TEST(join_rethrows_the_first_error_after_all_tasks_ended) {
  task_scope s{no_parent};
  int n = 0;
  s.spawn(fails());
  s.spawn(count_after(5ms, &n));
  bool caught = false;
  try {
    co_await s.join();
  } catch (const std::runtime_error&) {
    caught = true;
  }
  BOOST_TEST(caught);
  BOOST_TEST(n == 1);
}

static brood::rt::task<void> busy(long iterations, long* done, bool* timer_fired_meanwhile, bool* timer_fired) {
  for (long i = 0; i < iterations; ++i) {
    co_await maybe_yield();
    ++*done;
  }
  *timer_fired_meanwhile = *timer_fired;
}

static brood::rt::task<void> flag_after(clock::duration d, bool* flag) {
  (void)co_await sleep_for(d);
  *flag = true;
}

// A task that never waits for I/O but calls maybe_yield() lets timers (and I/O) run.
BROOD_RT_TEST(the_budget_lets_timers_interleave_with_busy_work) {
  task_scope s{no_parent};
  long done = 0;
  bool fired = false, fired_meanwhile = false;
  s.spawn(flag_after(1ms, &fired));
  s.spawn(busy(20'000'000, &done, &fired_meanwhile, &fired));
  co_await s.join();
  BOOST_TEST(done == 20'000'000);
  BOOST_TEST(fired_meanwhile);
}

static brood::rt::task<void> yielder(std::vector<int>* order, int id) {
  for (int i = 0; i < 3; ++i) {
    order->push_back(id);
    co_await yield();
  }
}

BROOD_RT_TEST(yield_round_robins_ready_tasks) {
  task_scope s{no_parent};
  std::vector<int> order;
  s.spawn(yielder(&order, 1));
  s.spawn(yielder(&order, 2));
  co_await s.join();
  BOOST_TEST((order == std::vector<int>{1, 2, 1, 2, 1, 2}));
}

static brood::rt::task<int> finish_after(clock::duration d, int value, std::vector<int>* finished) {
  auto r = co_await sleep_for(d);
  if (!r) co_return -value;
  finished->push_back(value);
  co_return value;
}

BROOD_RT_TEST(when_all_runs_tasks_together_and_keeps_their_order) {
  std::vector<int> finished;
  std::vector<brood::rt::task<int>> tasks;
  for (int i = 0; i < 5; ++i) tasks.push_back(finish_after(std::chrono::milliseconds(10 * (5 - i)), i + 1, &finished));
  auto results = co_await when_all(std::move(tasks));
  BOOST_TEST((results == std::vector<int>{1, 2, 3, 4, 5}));   // as given
  BOOST_TEST((finished == std::vector<int>{5, 4, 3, 2, 1}));  // as they ended: side by side
  std::vector<brood::rt::task<int>> none;
  auto empty = co_await when_all(std::move(none));
  BOOST_TEST(empty.empty());
}

static brood::rt::task<void> fan_out(std::vector<int>* results, std::vector<int>* finished) {
  std::vector<brood::rt::task<int>> tasks;
  for (int i = 0; i < 3; ++i) tasks.push_back(finish_after(10s, i + 1, finished));
  *results = co_await when_all(std::move(tasks));
}

BROOD_RT_TEST(when_all_is_cancelled_with_its_caller) {
  task_scope s{no_parent};
  std::vector<int> results, finished;
  s.spawn(fan_out(&results, &finished));
  (void)co_await sleep_for(1ms);
  const auto start = clock::now();
  s.cancel();
  co_await s.join();
  BOOST_TEST((results == std::vector<int>{-1, -2, -3}));
  BOOST_TEST(finished.empty());
  BOOST_TEST((clock::now() - start < 1s));
}

BOOST_AUTO_TEST_SUITE_END()
