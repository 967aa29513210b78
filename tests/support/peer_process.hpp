// peer_process: a third-party server (nghttpd, openssl s_server, ...) started for a test on a
// loopback port, waited for until it accepts connections, and stopped (SIGTERM, then reaped).
#pragma once

#include <brood/net/listener.hpp>
#include <brood/net/socket.hpp>
#include <brood/rt/process.hpp>
#include <brood/rt/timer.hpp>

#include <chrono>
#include <csignal>
#include <unistd.h>
#include <optional>
#include <string>
#include <vector>

namespace brood::test {

/// A loopback port that was free a moment ago, for a peer server to listen on. Chosen at random
/// below the kernel's ephemeral range (32768 and up), so that no outgoing connection of this or
/// another test can take it before the peer binds it.
inline std::uint16_t free_port() {
  static std::uint32_t state = static_cast<std::uint32_t>(::getpid()) * 2654435761u ^
                               static_cast<std::uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  for (int i = 0; i < 1000; ++i) {
    state = state * 1664525u + 1013904223u;
    auto port = static_cast<std::uint16_t>(20000 + (state >> 8) % 12000);
    if (net::listener::bind(net::socket_address::ipv4_loopback(port))) return port;
  }
  return 0;
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
