// signal_set: POSIX signals as awaitable events through a signalfd read on the ring.
//
// Constructing a signal_set blocks its signals for the calling thread (so they queue on the
// signalfd instead of killing the process); destroying it restores the previous mask. Child
// processes started with rt::process get a clean mask. Typical use — SIGTERM/SIGINT drain the
// program within its deadline:
//
//   signal_set sigs{SIGTERM, SIGINT};
//   scope.spawn(cancel_on_signal(sigs, root));   // cancels `root` on the first signal
#pragma once

#include <brood/rt/cancel.hpp>
#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>

#include <csignal>
#include <initializer_list>

namespace brood::rt {

class signal_set {
 public:
  explicit signal_set(std::initializer_list<int> signals);
  signal_set(const signal_set&) = delete;
  signal_set& operator=(const signal_set&) = delete;
  ~signal_set();

  /// The next signal delivered (its number), or operation_canceled.
  task<result<int>> next();
  int fd() const noexcept { return _fd; }

 private:
  int _fd = -1;
  sigset_t _set{};
  sigset_t _previous{};
};

/// Waits for one signal of `sigs`, then cancels `target`; returns the signal (0 if cancelled).
task<int> cancel_on_signal(signal_set& sigs, cancel_source& target);

}  // namespace brood::rt
