// Private to the HTTP server: the per-protocol connection loops and their drain hook.
#pragma once

#include <brood/http/server.hpp>
#include <brood/http/transport.hpp>

#include <memory>
#include <string>

namespace brood::http {

struct server::connection_base {
  connection_base* prev = nullptr;
  connection_base* next = nullptr;
  /// Stop taking new requests; finish the ones in progress; then end the connection.
  virtual void drain() noexcept = 0;
  /// No request handed to a handler: closing it (to make room) loses no work done.
  virtual bool idle() const noexcept = 0;
  /// Closes an idle connection at once (a request half-sent is cut: its client retries).
  virtual void evict() noexcept = 0;

 protected:
  ~connection_base() = default;
};

/// `prefix`: bytes already read from the transport (the protocol sniff). `registered` points
/// at the connection while its loop runs (null before and after), for the server's caps.
rt::task<void> serve_http1(server& s, std::unique_ptr<transport> t, std::string prefix, std::string remote,
                           server::connection_base** registered);
rt::task<void> serve_http2(server& s, std::unique_ptr<transport> t, std::string prefix, std::string remote,
                           std::string protocol, server::connection_base** registered);

}  // namespace brood::http
