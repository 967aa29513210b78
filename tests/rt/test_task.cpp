// task<T>: values, exceptions, symmetric transfer depth, token inheritance and binding.
#include "support/rt_test.hpp"

#include <brood/rt/ops.hpp>
#include <brood/rt/reactor.hpp>
#include <brood/rt/task.hpp>

#include <memory>
#include <stdexcept>
#include <string>

using namespace brood::rt;

BOOST_AUTO_TEST_SUITE(task)

static brood::rt::task<int> answer() { co_return 42; }
static brood::rt::task<std::string> greet(std::string who) { co_return "hello " + who; }
static brood::rt::task<int> thrower() {
  throw std::runtime_error("boom");
  co_return 0;
}
static brood::rt::task<std::unique_ptr<int>> move_only() { co_return std::make_unique<int>(7); }

BROOD_RT_TEST(values_and_move_only_results) {
  int a = co_await answer();
  BOOST_TEST(a == 42);
  std::string g = co_await greet("brood");
  BOOST_TEST(g == "hello brood");
  auto p = co_await move_only();
  BOOST_TEST(*p == 7);
}

BROOD_RT_TEST(exceptions_propagate_to_the_awaiter) {
  bool caught = false;
  try {
    (void)co_await thrower();
  } catch (const std::runtime_error& e) {
    caught = std::string(e.what()) == "boom";
  }
  BOOST_TEST(caught);
}

BOOST_AUTO_TEST_CASE(block_on_rethrows) {
  reactor r(brood::test::reactor_options_from_env());
  BOOST_CHECK_THROW(r.block_on(thrower()), std::runtime_error);
  BOOST_TEST(r.block_on(answer()) == 42);
}

static brood::rt::task<int> leaf(int i) { co_return i & 1; }

// A million synchronously completing awaits: with symmetric transfer the stack stays flat; a
// compiler that turns the transfer into a real call overflows here (GCC 12 without
// -foptimize-sibling-calls).
BROOD_RT_TEST(a_million_synchronous_awaits_keep_the_stack_flat) {
  long sum = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    int v = co_await leaf(i);
    sum += v;
  }
  BOOST_TEST(sum == 500'000);
}

static brood::rt::task<bool> child_sees_cancelled() {
  auto t = co_await current_token();
  co_return t.cancelled();
}
static brood::rt::task<bool> child_has_token() {
  auto t = co_await current_token();
  co_return t.can_be_cancelled();
}

static brood::rt::task<result<std::size_t>> one_nop() { co_return co_await nop(); }

BROOD_RT_TEST(children_inherit_the_token_unless_bound) {
  bool inherited_empty = co_await child_has_token();
  BOOST_TEST(!inherited_empty);  // block_on runs the root with no token
  cancel_source src;
  src.request_cancel();
  bool bound = co_await child_sees_cancelled().with_token(src.token());
  BOOST_TEST(bound);
  // An op awaited under a cancelled token does not even reach the kernel.
  auto r = co_await one_nop().with_token(src.token());
  BOOST_TEST(is_cancelled(r.error()));
}

BROOD_RT_TEST(a_nop_round_trips_through_the_ring) {
  auto before = reactor::current().stats().cqes;
  auto r = co_await nop();
  BOOST_TEST(r.has_value());
  BOOST_TEST(reactor::current().stats().cqes > before);
}

BOOST_AUTO_TEST_CASE(setup_fallbacks_are_named) {
  reactor r(brood::test::reactor_options_from_env());
  std::string name = r.setup_name();
  BOOST_TEST((name == "defer_taskrun" || name == "coop_taskrun" || name == "plain"));
  if (std::getenv("BROOD_REACTOR_SETUP") && std::string(std::getenv("BROOD_REACTOR_SETUP")) == "plain")
    BOOST_TEST(name == "plain");
}

BOOST_AUTO_TEST_SUITE_END()
