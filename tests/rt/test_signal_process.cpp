// Signals through signalfd and child processes through pidfds.
#include "support/rt_test.hpp"

#include <brood/rt/ops.hpp>
#include <brood/rt/process.hpp>
#include <brood/rt/signal_set.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <span>

using namespace brood::rt;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(signal_process)

BROOD_RT_TEST(a_signal_arrives_as_an_event) {
  signal_set sigs{SIGUSR1};
  BOOST_REQUIRE(::kill(::getpid(), SIGUSR1) == 0);
  auto s = co_await sigs.next();
  BOOST_TEST((s.has_value() && *s == SIGUSR1));
}

static brood::rt::task<void> worker(int* stopped) {
  auto r = co_await sleep_for(30s);
  if (is_cancelled(r.error())) ++*stopped;
}

static brood::rt::task<void> send_term_later() {
  (void)co_await sleep_for(5ms);
  ::kill(::getpid(), SIGTERM);
}

// SIGTERM drains: the signal cancels the root scope, every worker ends, block_on returns.
BROOD_RT_TEST(sigterm_cancels_and_drains_the_program) {
  signal_set sigs{SIGTERM, SIGINT};
  int stopped = 0;
  cancel_source root;
  task_scope workers(root.token());
  for (int i = 0; i < 20; ++i) workers.spawn(worker(&stopped));
  task_scope helper{no_parent};
  helper.spawn(send_term_later());
  auto start = clock::now();
  int sig = co_await cancel_on_signal(sigs, root);
  co_await workers.join();
  co_await helper.join();
  BOOST_TEST(sig == SIGTERM);
  BOOST_TEST(stopped == 20);
  BOOST_TEST((clock::now() - start < 5s));
}

BROOD_RT_TEST(exit_codes_and_signals_are_reported) {
  auto p = process::spawn({"sh", "-c", "exit 3"});
  BOOST_REQUIRE(p.has_value());
  auto st = co_await p->wait();
  BOOST_TEST((st.has_value() && st->exited && st->code == 3));

  auto q = process::spawn({"sleep", "30"});
  BOOST_REQUIRE(q.has_value());
  BOOST_TEST(q->kill(SIGKILL).has_value());
  auto st2 = co_await q->wait();
  BOOST_TEST((st2.has_value() && !st2->exited && st2->signal == SIGKILL));
  auto again = co_await q->wait();
  BOOST_TEST(!again.has_value());

  auto missing = process::spawn({"/nonexistent/brood-binary"});
  BOOST_TEST(!missing.has_value());
}

BROOD_RT_TEST(pipes_carry_stdin_and_stdout) {
  process_options o;
  o.in = process_options::stdio::pipe;
  o.out = process_options::stdio::pipe;
  auto p = process::spawn({"tr", "a-z", "A-Z"}, o);
  BOOST_REQUIRE(p.has_value());
  std::string text = "brood mesh\n";
  auto w = co_await brood::rt::write(p->stdin_fd(), std::as_bytes(std::span(text.data(), text.size())));
  BOOST_TEST(w.has_value());
  p->close_stdin();
  auto out = co_await read_to_end(p->stdout_fd());
  BOOST_TEST((out.has_value() && *out == "BROOD MESH\n"));
  auto st = co_await p->wait();
  BOOST_TEST((st.has_value() && st->success()));
}

BROOD_RT_TEST(the_child_does_not_inherit_blocked_signals) {
  signal_set sigs{SIGTERM};  // blocked in this thread
  process_options o;
  o.out = process_options::stdio::pipe;
  auto p = process::spawn({"sh", "-c", "grep SigBlk /proc/self/status"}, o);
  BOOST_REQUIRE(p.has_value());
  auto out = co_await read_to_end(p->stdout_fd());
  BOOST_REQUIRE(out.has_value());
  BOOST_TEST(out->find("0000000000000000") != std::string::npos);
  auto st = co_await p->wait();
  BOOST_TEST((st.has_value() && st->success()));
}

BOOST_AUTO_TEST_CASE(a_dropped_running_process_is_killed_and_reaped) {
  pid_t pid = -1;
  {
    brood::rt::reactor r(brood::test::reactor_options_from_env());
    auto p = process::spawn({"sleep", "30"});
    BOOST_REQUIRE(p.has_value());
    pid = p->pid();
  }
  BOOST_TEST(::waitpid(pid, nullptr, WNOHANG) == -1);
  BOOST_TEST(errno == ECHILD);
}

BROOD_RT_TEST(waiting_is_cancellable) {
  auto p = process::spawn({"sleep", "30"});
  BOOST_REQUIRE(p.has_value());
  cancel_source src;
  src.request_cancel();
  auto st = co_await p->wait().with_token(src.token());
  BOOST_TEST(is_cancelled(st.error()));
}

BOOST_AUTO_TEST_SUITE_END()
