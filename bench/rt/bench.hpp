// The runtime benchmark's scenarios, each implemented twice: on brood's reactor and on
// Boost.Asio (epoll), with the same structure — server on one thread, clients on another.
// Each function returns operations per second.
#pragma once

namespace bench {

struct scenario_args {
  int connections = 1;     // TCP connections / UDP client sockets
  double seconds = 2.0;    // measuring time
  int timers = 10000;      // timer churn: timers
  int rearms = 100;        // timer churn: re-arms per timer before it fires
};

/// Pins the calling thread to one CPU (servers on 1, clients on 0) so both implementations see
/// the same placement and the scheduler's migrations do not add noise. No-op on one CPU.
void pin_to_cpu(int cpu);

double brood_tcp_echo(const scenario_args& a);
double brood_udp_echo(const scenario_args& a);
double brood_timer_churn(const scenario_args& a);

double asio_tcp_echo(const scenario_args& a);
double asio_udp_echo(const scenario_args& a);
double asio_timer_churn(const scenario_args& a);

}  // namespace bench
