// peer_process: a third-party server (nghttpd, openssl s_server, ...) started for a test on a
// loopback port, waited for until it accepts connections, and stopped (SIGTERM, then reaped).
#pragma once

#include <brood/net/listener.hpp>
#include <brood/net/socket.hpp>
#include <brood/rt/process.hpp>
#include <brood/rt/timer.hpp>

#include <csignal>
#include <optional>
#include <string>
#include <vector>

namespace brood::test {

/// A loopback port that was free a moment ago (bind to port 0, read it, close).
inline std::uint16_t free_port() {
  auto l = net::listener::bind(net::socket_address::ipv4_loopback(0));
  return l ? l->local_address()->port() : 0;
}

class peer_process {
 public:
  /// Starts argv and waits (bounded, 5 s) until 127.0.0.1:port accepts a connection. The peer
  /// gets SIGKILL if the test process dies (setpriv --pdeathsig), so a crashed test leaves no
  /// server behind; a failed assertion unwinds and stops it the normal way.
  rt::task<bool> start(std::vector<std::string> argv, std::uint16_t port) {
    argv.insert(argv.begin(), {"setpriv", "--pdeathsig", "KILL", "--"});
    rt::process_options o;
    o.in = o.out = o.err = rt::process_options::stdio::null;
    auto p = rt::process::spawn(argv, o);
    if (!p) co_return false;
    _p.emplace(std::move(*p));
    for (int i = 0; i < 500; ++i) {
      auto c = co_await net::stream::connect(net::socket_address::ipv4_loopback(port));
      if (c) co_return true;
      (void)co_await rt::sleep_for(std::chrono::milliseconds(10));
    }
    co_return false;
  }
  rt::task<void> stop() {
    if (!_p) co_return;
    (void)_p->kill(SIGTERM);
    auto st = co_await _p->wait();
    (void)st;
    _p.reset();
  }

 private:
  std::optional<rt::process> _p;
};

}  // namespace brood::test
