// dns::resolver: c-ares 1.18 driven by the reactor, for host names (the DoH server, the API's
// scouts) and plain DNS queries.
//
// c-ares owns its sockets; its socket-state callback tells us which to watch, and each is
// watched by a one-shot IORING_OP_POLL_ADD re-armed after every ares_process_fd. Its timeouts
// run on one callback_timer set from ares_timeout, so retries happen even when no socket
// becomes ready. Lifetime: destroy the resolver on the reactor's thread; queries still pending
// then end with operation_canceled.
#pragma once

#include <brood/dns/message.hpp>
#include <brood/http/h2_client.hpp>
#include <brood/rt/io_op.hpp>
#include <brood/rt/task.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace brood::dns {

struct resolver_options {
  /// "127.0.0.1:53,[::1]:5353"; empty: the system's /etc/resolv.conf.
  std::string servers;
  std::chrono::milliseconds timeout{2000};  // per try
  int tries = 2;
};

class resolver {
 public:
  static result<std::unique_ptr<resolver>> make(const resolver_options& o = {});
  resolver(const resolver&) = delete;
  ~resolver();

  /// The raw answer to one query (header checked: NXDOMAIN and friends are errors).
  rt::task<result<std::string>> query(std::string name, record_type type, rt::io_options o = {});
  /// IPv4 then IPv6 addresses of `host` (A, then AAAA), with `port` set; numeric hosts are
  /// returned as they are, and localhost is 127.0.0.1 (RFC 6761).
  rt::task<result<std::vector<net::socket_address>>> lookup(std::string host, std::uint16_t port, rt::io_options o = {});
  /// For http::client_options::resolve: the first address lookup() finds.
  http::resolver_fn as_http_resolver();

  struct impl;

 private:
  explicit resolver(std::unique_ptr<impl> i) noexcept;
  std::unique_ptr<impl> _impl;
};

}  // namespace brood::dns
