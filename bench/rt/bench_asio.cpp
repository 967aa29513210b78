// The same scenarios on Boost.Asio 1.74 (header-only, epoll reactor): the peer brood's runtime
// is measured against. Structure mirrors bench_brood.cpp: server io_context on its own thread,
// clients on the calling thread, 64-byte messages, one handler chain per connection.
#include "bench.hpp"

#include <utility>  // Boost 1.74 asio/awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using steady = std::chrono::steady_clock;

namespace bench {
namespace {

constexpr std::size_t k_msg = 64;

double per_second(long count, steady::time_point start) {
  return count / std::chrono::duration<double>(steady::now() - start).count();
}

// --- TCP ------------------------------------------------------------------------------
class echo_session : public std::enable_shared_from_this<echo_session> {
 public:
  explicit echo_session(tcp::socket s) : _s(std::move(s)) {}
  void start() { read(); }

 private:
  void read() {
    _s.async_read_some(asio::buffer(_buf), [self = shared_from_this()](std::error_code ec, std::size_t n) {
      if (!ec) self->write(n);
    });
  }
  void write(std::size_t n) {
    asio::async_write(_s, asio::buffer(_buf, n), [self = shared_from_this()](std::error_code ec, std::size_t) {
      if (!ec) self->read();
    });
  }
  tcp::socket _s;
  std::array<char, 4096> _buf;
};

void accept_loop(tcp::acceptor& a) {
  a.async_accept([&a](std::error_code ec, tcp::socket s) {
    if (ec) return;
    s.set_option(tcp::no_delay(true));
    std::make_shared<echo_session>(std::move(s))->start();
    accept_loop(a);
  });
}

class tcp_client : public std::enable_shared_from_this<tcp_client> {
 public:
  tcp_client(asio::io_context& io, const bool* stop, long* count) : _s(io), _stop(stop), _count(count) {}
  void start(tcp::endpoint to) {
    _s.async_connect(to, [self = shared_from_this()](std::error_code ec) {
      if (ec) return;
      self->_s.set_option(tcp::no_delay(true));
      self->round();
    });
  }

 private:
  void round() {
    if (*_stop) return;
    asio::async_write(_s, asio::buffer(_msg), [self = shared_from_this()](std::error_code ec, std::size_t) {
      if (ec) return;
      asio::async_read(self->_s, asio::buffer(self->_msg), [self](std::error_code ec2, std::size_t) {
        if (ec2) return;
        ++*self->_count;
        self->round();
      });
    });
  }
  tcp::socket _s;
  const bool* _stop;
  long* _count;
  std::array<char, k_msg> _msg{};
};

// --- UDP ------------------------------------------------------------------------------
/// One of several receive chains on the server socket; replies before receiving again.
class udp_echo_chain : public std::enable_shared_from_this<udp_echo_chain> {
 public:
  explicit udp_echo_chain(udp::socket& s) : _s(s) {}
  void start() {
    _s.async_receive_from(asio::buffer(_buf), _peer, [self = shared_from_this()](std::error_code ec, std::size_t n) {
      if (ec) return;
      self->_s.async_send_to(asio::buffer(self->_buf, n), self->_peer,
                             [self](std::error_code ec2, std::size_t) {
                               if (!ec2) self->start();
                             });
    });
  }

 private:
  udp::socket& _s;
  udp::endpoint _peer;
  std::array<char, 256> _buf;
};

class udp_client : public std::enable_shared_from_this<udp_client> {
 public:
  udp_client(asio::io_context& io, udp::endpoint to, const bool* stop, long* count)
      : _s(io, udp::endpoint(asio::ip::address_v4::loopback(), 0)), _timer(io), _to(to), _stop(stop), _count(count) {}
  void round() {
    if (*_stop) return;
    _s.async_send_to(asio::buffer(_msg), _to, [self = shared_from_this()](std::error_code ec, std::size_t) {
      if (ec) return;
      // A lost datagram costs this client one deadline, as in the brood version.
      self->_timer.expires_after(std::chrono::milliseconds(200));
      self->_timer.async_wait([self](std::error_code tec) {
        if (!tec) self->_s.cancel();
      });
      self->_s.async_receive_from(asio::buffer(self->_back), self->_from, [self](std::error_code ec2, std::size_t) {
        self->_timer.cancel();
        if (!ec2) ++*self->_count;
        self->round();
      });
    });
  }

 private:
  udp::socket _s;
  asio::steady_timer _timer;
  udp::endpoint _to, _from;
  const bool* _stop;
  long* _count;
  std::array<char, k_msg> _msg{};
  std::array<char, 256> _back;
};

/// Server io_context on its own thread; `setup` runs on that thread, returns the port and
/// stores what must live while the server runs in `keep` (freed on that thread, before _io).
class server_thread {
 public:
  using setup_fn = std::function<unsigned short(asio::io_context&, std::shared_ptr<void>& keep)>;
  explicit server_thread(setup_fn setup) {
    std::promise<unsigned short> port;
    _t = std::thread([&] {
      pin_to_cpu(1);
      auto guard = asio::make_work_guard(_io);
      std::shared_ptr<void> keep;
      port.set_value(setup(_io, keep));
      _io.run();
      keep.reset();
    });
    _port = port.get_future().get();
  }
  ~server_thread() {
    _io.stop();
    _t.join();
  }
  unsigned short port() const { return _port; }

 private:
  asio::io_context _io{1};
  std::thread _t;
  unsigned short _port = 0;
};

template <class Start>
double run_clients(double seconds, Start start_clients) {
  asio::io_context io{1};
  bool stop = false;
  long count = 0;
  asio::steady_timer stopper(io, std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(seconds)));
  stopper.async_wait([&](std::error_code) { stop = true; });
  start_clients(io, &stop, &count);
  auto start = steady::now();
  io.run();
  return per_second(count, start);
}

}  // namespace

double asio_tcp_echo(const scenario_args& a) {
  server_thread srv([](asio::io_context& io, std::shared_ptr<void>& keep) {
    auto acceptor = std::make_shared<tcp::acceptor>(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    accept_loop(*acceptor);
    keep = acceptor;
    return acceptor->local_endpoint().port();
  });
  tcp::endpoint to(asio::ip::address_v4::loopback(), srv.port());
  return run_clients(a.seconds, [&](asio::io_context& io, const bool* stop, long* count) {
    for (int i = 0; i < a.connections; ++i) std::make_shared<tcp_client>(io, stop, count)->start(to);
  });
}

double asio_udp_echo(const scenario_args& a) {
  server_thread srv([&a](asio::io_context& io, std::shared_ptr<void>& keep) {
    auto sock = std::make_shared<udp::socket>(io, udp::endpoint(asio::ip::address_v4::loopback(), 0));
    for (int i = 0; i < a.connections; ++i) std::make_shared<udp_echo_chain>(*sock)->start();
    keep = sock;
    return sock->local_endpoint().port();
  });
  udp::endpoint to(asio::ip::address_v4::loopback(), srv.port());
  return run_clients(a.seconds, [&](asio::io_context& io, const bool* stop, long* count) {
    for (int i = 0; i < a.connections; ++i) std::make_shared<udp_client>(io, to, stop, count)->round();
  });
}

double asio_timer_churn(const scenario_args& a) {
  asio::io_context io{1};
  std::vector<std::unique_ptr<asio::steady_timer>> ts;
  ts.reserve(static_cast<std::size_t>(a.timers));
  long fired = 0;
  for (int i = 0; i < a.timers; ++i) ts.push_back(std::make_unique<asio::steady_timer>(io));
  std::mt19937 rng(7);
  auto start = steady::now();
  steady::time_point churn_end;
  bool valid = false;
  int round = 0;
  // Re-arm every timer once per handler round, as the brood version does once per loop turn;
  // asio delivers each displaced wait as an operation_aborted handler, part of its cost.
  std::function<void()> rearm = [&] {
    auto now = steady::now();
    for (auto& t : ts) {
      t->expires_at(now + std::chrono::milliseconds(200) + std::chrono::microseconds(rng() % 20000));
      t->async_wait([&fired](std::error_code ec) {
        if (!ec) ++fired;
      });
    }
    if (++round < a.rearms) {
      asio::post(io, rearm);
    } else {
      asio::post(io, [&] {  // queued behind the last round's aborted handlers
        churn_end = steady::now();
        valid = fired == 0;
      });
    }
  };
  asio::post(io, rearm);
  io.run();
  if (!valid || fired != a.timers) return 0.0;
  return static_cast<double>(a.timers) * a.rearms / std::chrono::duration<double>(churn_end - start).count();
}

}  // namespace bench
