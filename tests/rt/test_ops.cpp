// Ops on plain file descriptors: files, pipes, poll on a foreign fd, cancellation of an op in
// flight, and the completion-queue bound (more ops than the CQ holds).
#include "support/rt_test.hpp"

#include <brood/rt/ops.hpp>
#include <brood/rt/residency.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <string>

using namespace brood::rt;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(ops)

static std::span<const std::byte> bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

BROOD_RT_TEST(files_open_write_read_close_through_the_ring) {
  char tmpl[] = "/tmp/brood-ops-XXXXXX";
  int tmp = ::mkstemp(tmpl);
  BOOST_REQUIRE(tmp >= 0);
  ::close(tmp);
  std::string path = tmpl;
  auto fd = co_await open_file(path, O_RDWR | O_TRUNC);
  BOOST_REQUIRE(fd.has_value());
  int f = static_cast<int>(*fd);
  std::string text = "brood writes at an offset";
  auto w = co_await brood::rt::write(f, bytes(text), 100);
  BOOST_TEST((w.has_value() && *w == text.size()));
  std::string back(text.size(), '\0');
  auto r = co_await brood::rt::read(f, std::as_writable_bytes(std::span(back.data(), back.size())), 100);
  BOOST_TEST((r.has_value() && *r == text.size()));
  BOOST_TEST(back == text);
  auto c = co_await close_fd(f);
  BOOST_TEST(c.has_value());
  auto missing = co_await open_file("/nonexistent/brood/file", O_RDONLY);
  BOOST_TEST((missing.error() == std::errc::no_such_file_or_directory));
  ::unlink(path.c_str());
}

static brood::rt::task<void> write_later(int fd, std::string data) {
  (void)co_await sleep_for(2ms);
  auto w = co_await brood::rt::write(fd, bytes(data));
  BOOST_TEST(w.has_value());
}

BROOD_RT_TEST(a_pipe_read_waits_for_its_writer) {
  int p[2];
  BOOST_REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  task_scope s{no_parent};
  s.spawn(write_later(p[1], "ping"));
  char buf[8] = {};
  auto r = co_await brood::rt::read(p[0], std::as_writable_bytes(std::span(buf)));
  BOOST_TEST((r.has_value() && *r == 4u));
  BOOST_TEST(std::string(buf, 4) == "ping");
  co_await s.join();
  ::close(p[0]);
  ::close(p[1]);
}

static brood::rt::task<void> read_into(int fd, std::span<std::byte> buf, result<std::size_t>* out) {
  auto r = co_await brood::rt::read(fd, buf);
  *out = r;
}

// A cancelled read finishes with operation_canceled only after the kernel let go of it: data
// written afterwards is not consumed by the dead op and the buffer is never written.
BROOD_RT_TEST(a_cancelled_read_releases_its_buffer_untouched) {
  int p[2];
  BOOST_REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  std::byte buf[8];
  std::memset(buf, 0x5a, sizeof buf);
  result<std::size_t> out = std::errc::io_error;
  task_scope s{no_parent};
  s.spawn(read_into(p[0], buf, &out));
  co_await yield();
  co_await yield();
  BOOST_TEST(reactor::current().inflight() == 1u);
  s.cancel();
  co_await s.join();
  BOOST_TEST(is_cancelled(out.error()));
  BOOST_TEST(reactor::current().inflight() == 0u);
  BOOST_REQUIRE(::write(p[1], "abc", 3) == 3);
  char again[8] = {};
  auto r = co_await brood::rt::read(p[0], std::as_writable_bytes(std::span(again)));
  BOOST_TEST((r.has_value() && *r == 3u));
  BOOST_TEST((buf[0] == std::byte{0x5a}));
  ::close(p[0]);
  ::close(p[1]);
}

static brood::rt::task<void> signal_eventfd(int efd) {
  (void)co_await sleep_for(1ms);
  std::uint64_t one = 1;
  BOOST_REQUIRE(::write(efd, &one, sizeof one) == sizeof one);
}

BROOD_RT_TEST(poll_watches_a_foreign_fd) {
  int efd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  BOOST_REQUIRE(efd >= 0);
  task_scope s{no_parent};
  s.spawn(signal_eventfd(efd));
  auto r = co_await brood::rt::poll(efd, POLLIN);
  BOOST_TEST((r.has_value() && (*r & POLLIN)));
  co_await s.join();
  auto t = co_await brood::rt::poll(efd, POLLOUT, io_options{clock::now() + 50ms});
  BOOST_TEST(t.has_value());  // an eventfd is always writable
  ::close(efd);
}

static brood::rt::task<void> many_nops(int n, int* ok) {
  for (int i = 0; i < n; ++i) {
    auto r = co_await nop();
    if (r) ++*ok;
  }
}

static brood::rt::task<void> nop_storm(int* ok) {
  task_scope s{no_parent};
  for (int i = 0; i < 4000; ++i) s.spawn(many_nops(5, ok));
  co_await s.join();
  BOOST_TEST(reactor::current().stats().queued_ops > 0u);
}

// 4,000 concurrent ops against a 64-entry CQ: the reactor holds the excess back and nothing is
// lost or overflowed.
/// A reactor with rings much smaller than nop_storm's 4,000 concurrent ops.
static brood::rt::reactor_options small_rings() {
  auto opts = brood::test::reactor_options_from_env();
  opts.sq_entries = 16;
  opts.cq_entries = 64;
  return opts;
}

BOOST_AUTO_TEST_CASE(more_ops_than_the_completion_queue_holds) {
  int ok = 0;
  brood::test::run_on_reactor([&] { return nop_storm(&ok); }, small_rings());
  BOOST_TEST(ok == 20000);
}

namespace {
long rss_file_kb() {
  FILE* f = std::fopen("/proc/self/status", "re");
  char line[256];
  long kb = -1;
  while (f && std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "RssFile: %ld kB", &kb) == 1) break;
  if (f) std::fclose(f);
  return kb;
}
}  // namespace

// Dropping clean library pages: the resident set shrinks, and everything still runs (relocated
// read-only data is left alone, or the calls below would crash).
BOOST_AUTO_TEST_CASE(shedding_file_pages_keeps_the_process_working) {
  const long before = rss_file_kb();
  const std::size_t shed = brood::rt::shed_file_pages();
  const long after = rss_file_kb();
  BOOST_TEST(shed > 0u);
  BOOST_TEST(after < before, "RssFile " << before << " kB -> " << after << " kB");
  std::string s = "shed";
  for (int i = 0; i < 1000; ++i) s += std::to_string(i);  // libstdc++ and libc again
  BOOST_TEST(s.size() > 1000u);
  int ok = 0;
  brood::test::run_on_reactor([&] { return nop_storm(&ok); }, small_rings());
  BOOST_TEST(ok == 20000);
}

BOOST_AUTO_TEST_SUITE_END()
