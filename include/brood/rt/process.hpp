// process: child processes watched through pidfds on the ring (vtysh, wireguard-go, FRR reloads).
//
// spawn() uses posix_spawn (vfork-like, no copy of the parent's memory) with an empty signal
// mask and default dispositions, so a signal_set in the parent never leaks into the child. The
// exit is awaited with a poll on the pidfd; nothing blocks the reactor. Lifetime: a process that
// is destroyed while still running is killed (SIGKILL) and reaped, so no zombie is left behind.
#pragma once

#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

namespace brood::rt {

struct exit_status {
  bool exited = false;  // true: normal exit with `code`; false: killed by `signal`
  int code = 0;
  int signal = 0;
  bool success() const noexcept { return exited && code == 0; }
};

struct process_options {
  enum class stdio { inherit, null, pipe };
  stdio in = stdio::inherit;
  stdio out = stdio::inherit;
  stdio err = stdio::inherit;
  /// Environment as NAME=value strings; empty means the parent's environment.
  std::vector<std::string> env;
};

class process {
 public:
  /// Starts argv[0] (searched in PATH) with argv.
  static result<process> spawn(const std::vector<std::string>& argv, const process_options& opts = {});

  process(process&& o) noexcept;
  process& operator=(process&& o) noexcept;
  process(const process&) = delete;
  ~process();

  pid_t pid() const noexcept { return _pid; }
  /// Our ends of the pipes requested in process_options (-1 when not a pipe).
  int stdin_fd() const noexcept { return _in; }
  int stdout_fd() const noexcept { return _out; }
  int stderr_fd() const noexcept { return _err; }
  void close_stdin() noexcept;

  result<void> kill(int sig) noexcept;
  /// Completes when the child has exited, and reaps it.
  task<result<exit_status>> wait();

 private:
  process() = default;
  void reset() noexcept;
  pid_t _pid = -1;
  int _pidfd = -1;
  int _in = -1, _out = -1, _err = -1;
  bool _reaped = false;
};

/// Reads `fd` (a pipe or socket) until end of file, at most `limit` bytes (then message_size).
task<result<std::string>> read_to_end(int fd, std::size_t limit = 1 << 20);

}  // namespace brood::rt
