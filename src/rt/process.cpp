// process: posix_spawn with pipes and a clean signal state, pidfd_open, and reaping via waitid.
#include <brood/rt/ops.hpp>
#include <brood/rt/process.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
extern "C" {  // glibc 2.36 ships sys/pidfd.h without __BEGIN_DECLS
#include <sys/pidfd.h>
}
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <utility>

extern char** environ;

namespace brood::rt {

namespace {
struct pipe_pair {
  int r = -1, w = -1;
  ~pipe_pair() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
  }
};

int take(int& fd) noexcept { return std::exchange(fd, -1); }
}  // namespace

result<process> process::spawn(const std::vector<std::string>& argv, const process_options& opts) {
  if (argv.empty()) return make_error(std::errc::invalid_argument);
  using stdio = process_options::stdio;
  pipe_pair in, out, err;
  auto make_pipe = [](pipe_pair& p) { int fds[2]; if (::pipe2(fds, O_CLOEXEC) != 0) return false; p.r = fds[0]; p.w = fds[1]; return true; };
  if ((opts.in == stdio::pipe && !make_pipe(in)) || (opts.out == stdio::pipe && !make_pipe(out)) ||
      (opts.err == stdio::pipe && !make_pipe(err)))
    return std::error_code(errno, std::system_category());

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  auto redirect = [&](stdio mode, int target, int pipe_end) {
    if (mode == stdio::null) posix_spawn_file_actions_addopen(&fa, target, "/dev/null", O_RDWR, 0);
    if (mode == stdio::pipe) posix_spawn_file_actions_adddup2(&fa, pipe_end, target);
  };
  redirect(opts.in, 0, in.r);
  redirect(opts.out, 1, out.w);
  redirect(opts.err, 2, err.w);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : opts.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &fa, &attr, args.data(), opts.env.empty() ? environ : envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return std::error_code(rc, std::system_category());

  process p;
  p._pid = pid;
  // The child is ours and unreaped, so its pid cannot have been reused before pidfd_open.
  p._pidfd = ::pidfd_open(pid, 0);
  if (p._pidfd < 0) {
    int e = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    p._pid = -1;
    return std::error_code(e, std::system_category());
  }
  p._in = take(in.w);
  p._out = take(out.r);
  p._err = take(err.r);
  return p;
}

process::process(process&& o) noexcept
    : _pid(std::exchange(o._pid, -1)),
      _pidfd(std::exchange(o._pidfd, -1)),
      _in(std::exchange(o._in, -1)),
      _out(std::exchange(o._out, -1)),
      _err(std::exchange(o._err, -1)),
      _reaped(o._reaped) {}

process& process::operator=(process&& o) noexcept {
  if (this != &o) {
    reset();
    _pid = std::exchange(o._pid, -1);
    _pidfd = std::exchange(o._pidfd, -1);
    _in = std::exchange(o._in, -1);
    _out = std::exchange(o._out, -1);
    _err = std::exchange(o._err, -1);
    _reaped = o._reaped;
  }
  return *this;
}

process::~process() { reset(); }

void process::reset() noexcept {
  if (_pid > 0 && !_reaped) {
    ::pidfd_send_signal(_pidfd, SIGKILL, nullptr, 0);
    siginfo_t info{};
    ::waitid(P_PIDFD, static_cast<id_t>(_pidfd), &info, WEXITED);
  }
  for (int* fd : {&_pidfd, &_in, &_out, &_err})
    if (*fd >= 0) ::close(take(*fd));
  _pid = -1;
}

void process::close_stdin() noexcept {
  if (_in >= 0) ::close(take(_in));
}

result<void> process::kill(int sig) noexcept {
  if (_reaped || _pidfd < 0) return make_error(std::errc::no_such_process);
  if (::pidfd_send_signal(_pidfd, sig, nullptr, 0) != 0) return std::error_code(errno, std::system_category());
  return {};
}

task<result<exit_status>> process::wait() {
  if (_reaped || _pidfd < 0) co_return make_error(std::errc::no_child_process);
  auto ready = co_await rt::poll(_pidfd, POLLIN);
  if (!ready) co_return ready.error();
  siginfo_t info{};
  if (::waitid(P_PIDFD, static_cast<id_t>(_pidfd), &info, WEXITED | WNOHANG) != 0)
    co_return std::error_code(errno, std::system_category());
  _reaped = true;
  exit_status st;
  if (info.si_code == CLD_EXITED) {
    st.exited = true;
    st.code = info.si_status;
  } else {
    st.signal = info.si_status;
  }
  co_return st;
}

task<result<std::string>> read_to_end(int fd, std::size_t limit) {
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = co_await rt::read(fd, std::as_writable_bytes(std::span(buf)));
    if (!n) co_return n.error();
    if (*n == 0) co_return out;
    if (out.size() + *n > limit) co_return make_error(std::errc::message_size);
    out.append(buf, *n);
  }
}

}  // namespace brood::rt
