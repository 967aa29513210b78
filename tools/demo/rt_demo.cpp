// brood-rt-demo: what `tools/brood-lab demo` runs until the one-machine lab exists. It drives
// the runtime the way brood will: a TCP echo server with 64 clients, a UDP echo on the
// multishot receive path, 10,000 timers, a child process watched through its pidfd, all as
// tasks of one scope on one reactor; SIGINT/SIGTERM cancel the scope and the program drains.
#include <brood/net/listener.hpp>
#include <brood/net/socket.hpp>
#include <brood/net/udp.hpp>
#include <brood/rt/process.hpp>
#include <brood/rt/reactor.hpp>
#include <brood/rt/signal_set.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/with_timeout.hpp>

#include <cstdio>
#include <cstring>
#include <string>

using namespace brood;
using namespace brood::rt;
using namespace std::chrono_literals;

namespace {

struct figures {
  long tcp_round_trips = 0;
  long udp_round_trips = 0;
  long timers_fired = 0;
  std::string child_output;
  int child_code = -1;
};

task<void> echo(net::stream c) {
  std::byte buf[4096];
  for (;;) {
    auto n = co_await c.recv(buf);
    if (!n || *n == 0) co_return;
    auto s = co_await c.send_all(std::span(buf, *n));
    if (!s) co_return;
  }
}

task<void> tcp_server(net::listener* l) {
  auto token = co_await current_token();
  task_scope conns(token);
  for (;;) {
    auto c = co_await l->accept();
    if (!c) break;
    conns.spawn(echo(std::move(*c)));
  }
  co_await conns.join();
}

task<void> tcp_client(net::socket_address to, clock::time_point until, figures* f) {
  auto c = co_await net::stream::connect(to, io_options{clock::now() + 5s});
  if (!c) co_return;
  std::byte msg[64] = {};
  while (clock::now() < until) {
    auto s = co_await c->send_all(msg);
    if (!s) co_return;
    auto r = co_await c->recv_exact(msg, io_options{clock::now() + 5s});
    if (!r) co_return;
    ++f->tcp_round_trips;
  }
}

task<void> udp_echo(net::udp_socket* s) {
  net::udp_receiver rx(s->fd());
  for (;;) {
    auto d = co_await rx.next();
    if (!d) co_return;
    auto sent = co_await s->send_to(d->payload(), d->peer());
    if (!sent) co_return;
  }
}

task<void> udp_client(net::socket_address to, clock::time_point until, figures* f) {
  auto s = net::udp_socket::bind(net::socket_address::ipv4_loopback(0));
  if (!s) co_return;
  std::byte msg[48] = {}, back[64];
  net::socket_address from;
  while (clock::now() < until) {
    auto sent = co_await s->send_to(msg, to);
    if (!sent) co_return;
    auto r = co_await s->recv_from(back, from, io_options{clock::now() + 1s});
    if (!r) co_return;
    ++f->udp_round_trips;
  }
}

task<void> one_timer(clock::duration d, figures* f) {
  auto r = co_await sleep_for(d);
  if (r) ++f->timers_fired;
}

task<void> child(figures* f) {
  process_options o;
  o.out = process_options::stdio::pipe;
  auto p = process::spawn({"uname", "-sr"}, o);
  if (!p) co_return;
  auto out = co_await read_to_end(p->stdout_fd());
  auto st = co_await p->wait();
  if (out) f->child_output = *out;
  if (st && st->exited) f->child_code = st->code;
}

task<void> run_demo(clock::duration length, cancel_source* root, figures* f) {
  auto l = net::listener::bind(net::socket_address::ipv4_loopback(0));
  auto u = net::udp_socket::bind(net::socket_address::ipv4_loopback(0));
  if (!l || !u) {
    std::fprintf(stderr, "demo: cannot bind on loopback\n");
    co_return;
  }
  task_scope servers(root->token());
  servers.spawn(tcp_server(&*l));
  servers.spawn(udp_echo(&*u));

  task_scope work(root->token());
  auto until = clock::now() + length;
  for (int i = 0; i < 64; ++i) work.spawn(tcp_client(*l->local_address(), until, f));
  for (int i = 0; i < 8; ++i) work.spawn(udp_client(*u->local_address(), until, f));
  for (int i = 0; i < 10000; ++i) work.spawn(one_timer(std::chrono::microseconds(i * 50), f));
  work.spawn(child(f));
  co_await work.join();

  servers.cancel();
  co_await servers.join();
}

task<void> stop_on_signal(signal_set* sigs, cancel_source* root) {
  int sig = co_await cancel_on_signal(*sigs, *root);
  if (sig) std::printf("signal %d: draining\n", sig);
}

task<int> demo_main(clock::duration length) {
  signal_set sigs{SIGINT, SIGTERM};
  cancel_source root;
  figures f;
  task_scope watcher{no_parent};
  watcher.spawn(stop_on_signal(&sigs, &root));
  auto start = clock::now();
  co_await run_demo(length, &root, &f);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start).count();
  watcher.cancel();
  co_await watcher.join();

  const auto& st = reactor::current().stats();
  std::printf("brood runtime demo — one reactor, one thread (%s io_uring)\n", reactor::current().setup_name());
  std::printf("  ran %lld ms%s\n", static_cast<long long>(ms), root.cancelled() ? " (stopped by signal)" : "");
  std::printf("  tcp echo, 64 connections : %ld round trips (%.0f/s)\n", f.tcp_round_trips, f.tcp_round_trips * 1000.0 / ms);
  std::printf("  udp echo, 8 clients      : %ld round trips (%.0f/s)\n", f.udp_round_trips, f.udp_round_trips * 1000.0 / ms);
  std::printf("  timers fired             : %ld of 10000\n", f.timers_fired);
  std::printf("  child `uname -sr`        : exit %d, %s", f.child_code, f.child_output.empty() ? "\n" : f.child_output.c_str());
  std::printf("  loop: %llu turns, %llu enters, %llu SQEs, %llu CQEs, %llu resumes\n",
              static_cast<unsigned long long>(st.turns), static_cast<unsigned long long>(st.enters),
              static_cast<unsigned long long>(st.sqes), static_cast<unsigned long long>(st.cqes),
              static_cast<unsigned long long>(st.resumes));
  co_return f.tcp_round_trips > 0 && f.udp_round_trips > 0 && f.child_code == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2.0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: brood-rt-demo [--seconds N]\n");
      return 2;
    }
  }
  try {
    reactor r;
    return r.block_on(demo_main(std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds))));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "brood-rt-demo: %s\n", e.what());
    return 1;
  }
}
