// signal_set: signalfd creation, mask handling and the ring read of signalfd_siginfo.
#include <brood/rt/ops.hpp>
#include <brood/rt/signal_set.hpp>

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace brood::rt {

signal_set::signal_set(std::initializer_list<int> signals) {
  sigemptyset(&_set);
  for (int s : signals) sigaddset(&_set, s);
  if (int rc = pthread_sigmask(SIG_BLOCK, &_set, &_previous); rc != 0)
    throw std::system_error(rc, std::system_category(), "pthread_sigmask");
  _fd = ::signalfd(-1, &_set, SFD_CLOEXEC);
  if (_fd < 0) {
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &_previous, nullptr);
    throw std::system_error(e, std::system_category(), "signalfd");
  }
}

signal_set::~signal_set() {
  ::close(_fd);
  pthread_sigmask(SIG_SETMASK, &_previous, nullptr);
}

task<result<int>> signal_set::next() {
  signalfd_siginfo info{};
  auto n = co_await rt::read(_fd, std::as_writable_bytes(std::span(&info, 1)));
  if (!n) co_return n.error();
  if (*n != sizeof info) co_return make_error(std::errc::io_error);
  co_return static_cast<int>(info.ssi_signo);
}

task<int> cancel_on_signal(signal_set& sigs, cancel_source& target) {
  auto sig = co_await sigs.next();
  if (!sig) co_return 0;
  target.request_cancel();
  co_return *sig;
}

}  // namespace brood::rt
