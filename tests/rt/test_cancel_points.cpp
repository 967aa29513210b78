// Cancellation at every suspension point in turn (Boost.Cobalt's brute-force idea): a workload
// that touches every kind of op is run once to count its suspension points, then once per
// point with a cancel landing there. Each run must end with no frame, op, timer or fd left.
#include "support/rt_test.hpp"

#include <brood/net/listener.hpp>
#include <brood/net/socket.hpp>
#include <brood/net/udp.hpp>
#include <brood/rt/ops.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/with_timeout.hpp>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

using namespace brood;
using namespace brood::rt;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(cancel_points)

struct progress {
  int points = 0;        // suspension points reached so far
  int cancelled_at = 0;  // the point at which an op first reported operation_canceled
  bool finished = false;
};

/// Records the first cancellation any step observed; returns true to go on.
static bool note(progress* p, std::error_code ec) {
  if (is_cancelled(ec) && p->cancelled_at == 0) p->cancelled_at = p->points;
  return !ec;
}

static brood::rt::task<void> echo_once(net::listener* l, progress* p) {
  ++p->points;
  auto c = co_await l->accept();
  if (!note(p, c.error())) co_return;
  std::byte buf[64];
  ++p->points;
  auto n = co_await c->recv(buf);
  if (!note(p, n.error()) || *n == 0) co_return;
  ++p->points;
  auto s = co_await c->send_all(std::span(buf, *n));
  note(p, s.error());
}

static brood::rt::task<void> workload(progress* p) {
  ++p->points;
  auto slept = co_await sleep_for(1ms);
  note(p, slept.error());

  ++p->points;
  auto f = co_await open_file("/proc/self/stat", O_RDONLY);
  if (!note(p, f.error())) co_return;
  std::byte buf[256];
  ++p->points;
  auto r = co_await brood::rt::read(static_cast<int>(*f), buf, 0);
  ::close(static_cast<int>(*f));
  if (!note(p, r.error())) co_return;

  auto l = net::listener::bind(net::socket_address::ipv4_loopback(0));
  BOOST_REQUIRE(l.has_value());
  auto addr = l->local_address();
  auto token = co_await current_token();
  task_scope server(token);
  server.spawn(echo_once(&*l, p));
  ++p->points;
  auto c = co_await net::stream::connect(*addr);
  if (note(p, c.error())) {
    ++p->points;
    auto s = co_await c->send_all(net::as_bytes("brood"));
    std::byte back[5];
    ++p->points;
    if (note(p, s.error())) {
      auto e = co_await c->recv_exact(back);
      note(p, e.error());
    }
  }
  co_await server.join();

  auto u = net::udp_socket::bind(net::socket_address::ipv4_loopback(0));
  BOOST_REQUIRE(u.has_value());
  {
    net::udp_receiver rx(u->fd(), 8, 512);
    ++p->points;
    auto d = co_await with_timeout(50ms, rx.next());  // nothing arrives: times out or is cancelled
    note(p, d.error());
  }

  int pp[2];
  BOOST_REQUIRE(::pipe2(pp, O_CLOEXEC) == 0);
  ++p->points;
  auto pr = co_await brood::rt::poll(pp[0], POLLIN, io_options{clock::now() + 5ms});
  note(p, pr.error());
  ::close(pp[0]);
  ::close(pp[1]);
  p->finished = p->cancelled_at == 0;
}

static brood::rt::task<void> cancel_at(int point, progress* p) {
  task_scope s{no_parent};
  s.spawn(workload(p));
  while (p->points < point && !p->finished) co_await yield();
  s.cancel();
  co_await s.join();
}

BOOST_AUTO_TEST_CASE(every_suspension_point_cancels_cleanly) {
  if (!brood::test::kernel_at_least(6, 0)) BROOD_SKIP("the workload uses multishot recvmsg (Linux 6.0)");
  progress full;
  brood::test::run_on_reactor([&] { return workload(&full); });
  BOOST_REQUIRE(full.finished);
  BOOST_TEST_MESSAGE("suspension points: " << full.points);
  BOOST_REQUIRE(full.points >= 9);
  for (int k = 1; k <= full.points; ++k) {
    progress p;
    brood::test::run_on_reactor([&] { return cancel_at(k, &p); });  // checks frames, ops, fds
    BOOST_TEST_INFO("cancel at point " << k);
    BOOST_TEST(!p.finished);
    BOOST_TEST(p.cancelled_at >= k);  // the cancel landed where the workload was suspended
  }
}

BOOST_AUTO_TEST_SUITE_END()
