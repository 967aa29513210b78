// Benchmark scenarios on brood's runtime: TCP echo ping-pong, UDP echo (multishot receive,
// replies in flight concurrently), and timer churn on callback timers.
#include "bench.hpp"

#include <brood/net/listener.hpp>
#include <brood/net/socket.hpp>
#include <brood/net/udp.hpp>
#include <brood/rt/ops.hpp>
#include <brood/rt/reactor.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <future>
#include <random>
#include <thread>
#include <vector>

using namespace brood;
using namespace brood::rt;

namespace bench {
namespace {

constexpr std::size_t k_msg = 64;

/// Runs `server` on its own thread and reactor until stop() is called from another thread.
class server_thread {
 public:
  template <class F>
  explicit server_thread(F make_task) {
    _efd = ::eventfd(0, EFD_CLOEXEC);
    _t = std::thread([this, make_task] {
      pin_to_cpu(1);
      reactor r;
      r.block_on(run(make_task(&_addr_promise), _efd));
    });
    _addr = _addr_promise.get_future().get();
  }
  ~server_thread() {
    std::uint64_t one = 1;
    (void)!::write(_efd, &one, sizeof one);
    _t.join();
    ::close(_efd);
  }
  net::socket_address address() const { return _addr; }

 private:
  static task<void> run(task<void> server, int efd) {
    task_scope s{no_parent};
    s.spawn(std::move(server));
    (void)co_await brood::rt::poll(efd, POLLIN);
    s.cancel();
    co_await s.join();
  }
  int _efd;
  std::promise<net::socket_address> _addr_promise;
  net::socket_address _addr;
  std::thread _t;
};

task<void> tcp_echo_conn(net::stream c) {
  std::byte buf[4096];
  for (;;) {
    auto n = co_await c.recv(buf);
    if (!n || *n == 0) co_return;
    auto s = co_await c.send_all(std::span(buf, *n));
    if (!s) co_return;
  }
}

task<void> tcp_server(std::promise<net::socket_address>* addr) {
  auto l = net::listener::bind(net::socket_address::ipv4_loopback(0));
  addr->set_value(*l->local_address());
  auto token = co_await current_token();
  task_scope conns(token);
  for (;;) {
    auto c = co_await l->accept();
    if (!c) break;
    conns.spawn(tcp_echo_conn(std::move(*c)));
  }
  co_await conns.join();
}

task<void> tcp_client(net::socket_address to, const bool* stop, long* count) {
  auto c = co_await net::stream::connect(to);
  if (!c) co_return;
  std::byte msg[k_msg] = {};
  while (!*stop) {
    auto s = co_await c->send_all(msg);
    if (!s) co_return;
    auto r = co_await c->recv_exact(msg);
    if (!r) co_return;
    ++*count;
  }
}

task<void> stop_after(double seconds, bool* stop) {
  (void)co_await sleep_for(std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds)));
  *stop = true;
}

task<void> tcp_clients(int n, double seconds, net::socket_address to, long* count) {
  bool stop = false;
  task_scope s{no_parent};
  for (int i = 0; i < n; ++i) s.spawn(tcp_client(to, &stop, count));
  s.spawn(stop_after(seconds, &stop));
  co_await s.join();
}

task<void> udp_reply(net::udp_socket* sock, net::datagram d) { (void)co_await sock->send_to(d.payload(), d.peer()); }

task<void> udp_server(std::promise<net::socket_address>* addr) {
  auto sock = net::udp_socket::bind(net::socket_address::ipv4_loopback(0));
  addr->set_value(*sock->local_address());
  net::udp_receiver rx(sock->fd(), 1024, 256);
  auto token = co_await current_token();
  task_scope replies(token);
  for (;;) {
    auto d = co_await rx.next();
    if (!d) break;
    replies.spawn(udp_reply(&*sock, std::move(*d)));
  }
  co_await replies.join();
}

task<void> udp_client(net::socket_address to, const bool* stop, long* count) {
  auto sock = net::udp_socket::bind(net::socket_address::ipv4_loopback(0));
  if (!sock) co_return;
  std::byte msg[k_msg] = {}, back[256];
  net::socket_address from;
  while (!*stop) {
    auto s = co_await sock->send_to(msg, to);
    if (!s) co_return;
    // A lost datagram (UDP may drop) costs this client one deadline, not the whole run.
    auto r = co_await sock->recv_from(back, from, io_options{clock::now() + std::chrono::milliseconds(200)});
    if (r) ++*count;
  }
}

task<void> udp_clients(int n, double seconds, net::socket_address to, long* count) {
  bool stop = false;
  task_scope s{no_parent};
  for (int i = 0; i < n; ++i) s.spawn(udp_client(to, &stop, count));
  s.spawn(stop_after(seconds, &stop));
  co_await s.join();
}

struct churn {
  long fired = 0;
  bool valid = false;
  static void on_fire(void* p) noexcept { ++static_cast<churn*>(p)->fired; }
};

/// Re-arms every timer `rearms` times, one round per loop turn, then lets them all fire.
/// Returns the churn phase's duration; `c->valid` is false if a timer fired during it.
task<clock::duration> timer_churn(int timers, int rearms, churn* c) {
  std::vector<std::unique_ptr<callback_timer>> ts;
  ts.reserve(static_cast<std::size_t>(timers));
  for (int i = 0; i < timers; ++i) ts.push_back(std::make_unique<callback_timer>(&churn::on_fire, c));
  std::mt19937 rng(7);
  auto start = clock::now();
  // Idle timeouts and BFD detection timers: re-armed far more often than they fire.
  for (int round = 0; round < rearms; ++round) {
    auto now = clock::now();
    for (auto& t : ts) t->arm_at(now + std::chrono::milliseconds(200) + std::chrono::microseconds(rng() % 20000));
    co_await yield();
  }
  auto took = clock::now() - start;
  c->valid = c->fired == 0;
  while (c->fired < timers) (void)co_await sleep_for(std::chrono::milliseconds(1));
  co_return took;
}

double per_second(long count, clock::time_point start) {
  return count / std::chrono::duration<double>(clock::now() - start).count();
}

}  // namespace

double brood_tcp_echo(const scenario_args& a) {
  server_thread srv(&tcp_server);
  long count = 0;
  reactor r;
  auto start = clock::now();
  r.block_on(tcp_clients(a.connections, a.seconds, srv.address(), &count));
  return per_second(count, start);
}

double brood_udp_echo(const scenario_args& a) {
  server_thread srv(&udp_server);
  long count = 0;
  reactor r;
  auto start = clock::now();
  r.block_on(udp_clients(a.connections, a.seconds, srv.address(), &count));
  return per_second(count, start);
}

double brood_timer_churn(const scenario_args& a) {
  churn c;
  reactor r;
  auto took = r.block_on(timer_churn(a.timers, a.rearms, &c));
  if (!c.valid || c.fired != a.timers) return 0.0;
  return static_cast<double>(a.timers) * a.rearms / std::chrono::duration<double>(took).count();
}

}  // namespace bench
