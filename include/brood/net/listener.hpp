// listener: a listening TCP or unix stream socket fed by one multishot accept.
//
// One IORING_OP_ACCEPT with the multishot flag stays armed and queues accepted sockets; accept()
// takes the next one, re-arming the multishot op if the kernel ended it (an error, or overload).
// Lifetime: the multishot op is owned by the kernel while armed; when the listener goes away it
// cancels the op and hands it to the reactor, which frees it (and closes any socket accepted in
// the meantime) on its final CQE. The reactor must outlive the listener.
#pragma once

#include <brood/net/socket.hpp>
#include <brood/rt/task.hpp>

namespace brood::net {

namespace detail {
class accept_engine;
}

class listener {
 public:
  listener() = default;
  listener(listener&& o) noexcept;
  listener& operator=(listener&& o) noexcept;
  listener(const listener&) = delete;
  ~listener();

  /// Binds and listens (SO_REUSEADDR for TCP; an existing unix socket file is replaced).
  static result<listener> bind(const socket_address& a, int backlog = 1024);

  /// The next connection (TCP_NODELAY set for TCP), or the accept error. One caller at a time.
  rt::task<result<stream>> accept();
  result<socket_address> local_address() const noexcept { return _s.local_address(); }
  /// Stops listening: new connections are refused; a pending accept() ends with an error.
  void close() noexcept;
  int fd() const noexcept { return _s.fd(); }

 private:
  socket _s;
  detail::accept_engine* _engine = nullptr;
};

}  // namespace brood::net
