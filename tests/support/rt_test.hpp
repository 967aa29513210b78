// Test support: run a coroutine test body on a fresh reactor and check that it left nothing
// behind (no coroutine frame, no op in the kernel, no armed timer).
//
// BROOD_REACTOR_SETUP=best|coop_taskrun|plain selects the io_uring setup, so ctest runs the
// runtime suites once per setup path. BROOD_SKIP(reason) ends the test executable with 77,
// which ctest reports as skipped (a kernel or machine that lacks a feature).
#pragma once

#include <brood/rt/ops.hpp>
#include <brood/rt/reactor.hpp>
#include <brood/rt/task.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <sys/utsname.h>

namespace brood::test {

inline rt::reactor_options reactor_options_from_env() {
  rt::reactor_options o;
  if (const char* m = std::getenv("BROOD_REACTOR_SETUP")) {
    if (std::strcmp(m, "coop_taskrun") == 0) o.mode = rt::reactor_options::setup::coop_taskrun;
    if (std::strcmp(m, "plain") == 0) o.mode = rt::reactor_options::setup::plain;
  }
  return o;
}

/// True if the running kernel is at least major.minor (features such as multishot accept
/// (5.19) and multishot recvmsg with provided-buffer rings (6.0) are flags, not probeable ops).
inline bool kernel_at_least(int major, int minor) {
  utsname u{};
  if (::uname(&u) != 0) return false;
  int ma = 0, mi = 0;
  if (std::sscanf(u.release, "%d.%d", &ma, &mi) != 2) return false;
  return ma > major || (ma == major && mi >= minor);
}

/// Open file descriptors of this process.
inline int open_fds() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d)) ++n;
    ::closedir(d);
  }
  return n - 3;  // ".", ".." and the DIR's own fd
}

/// Lets ops that were abandoned (a dropped listener's multishot accept, say) receive their final
/// CQE: they are the kernel's until then. Bounded.
inline rt::task<void> settle() {
  for (int i = 0; i < 100 && rt::reactor::current().inflight() > 0; ++i) (void)co_await rt::nop();
}

template <class F>
void run_on_reactor(F body, rt::reactor_options opts = reactor_options_from_env()) {
  const long frames = rt::detail::live_frames;
  const int fds = open_fds();
  {
    rt::reactor r(opts);
    r.block_on(body());
    r.block_on(settle());
    BOOST_TEST(r.inflight() == 0u);
    BOOST_TEST(r.armed_timers() == 0u);
  }
  BOOST_TEST(rt::detail::live_frames == frames);
  BOOST_TEST(open_fds() == fds);
}

}  // namespace brood::test

#define BROOD_SKIP(reason)                                   \
  do {                                                       \
    std::fprintf(stderr, "SKIP: %s\n", reason);              \
    std::exit(77);                                           \
  } while (0)

/// A Boost test case whose body is a task<void> run on a fresh reactor.
#define BROOD_RT_TEST(name)                                                     \
  static ::brood::rt::task<void> name##_body();                                 \
  BOOST_AUTO_TEST_CASE(name) { ::brood::test::run_on_reactor(&name##_body); } \
  static ::brood::rt::task<void> name##_body()
