// frr sessions: vtysh run for each answer, its output read from a pipe on the ring (bounded in
// size and time); parsed by session_json.cpp.
#include <brood/frr/sessions.hpp>

#include <brood/frr/reload.hpp>
#include <brood/rt/ops.hpp>
#include <brood/rt/process.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/with_timeout.hpp>

#include <unistd.h>

#include <algorithm>
#include <csignal>

namespace brood::frr {

namespace {
/// One vtysh command's output (at most 4 MiB), or the error.
rt::task<rt::result<std::string>> vtysh(const vtysh_options& o, std::string command, rt::clock::time_point deadline) {
  std::vector<std::string> argv{"vtysh"};
  for (auto& a : location_args(o.run_dir, o.pathspace)) argv.push_back(a);
  argv.push_back("-c");
  argv.push_back(std::move(command));
  rt::process_options po;
  po.in = po.err = rt::process_options::stdio::null;
  po.out = rt::process_options::stdio::pipe;
  auto p = rt::process::spawn(argv, po);
  if (!p) co_return p.error();
  std::string out;
  std::vector<std::byte> buf(16 * 1024);
  for (;;) {
    const rt::io_options io{deadline};
    auto n = co_await rt::read(p->stdout_fd(), buf, -1, io);
    if (!n) {
      (void)p->kill(SIGKILL);
      (void)co_await p->wait();
      co_return n.error();
    }
    if (*n == 0) break;
    out.append(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(*n));
    if (out.size() > (4u << 20)) {
      (void)p->kill(SIGKILL);
      (void)co_await p->wait();
      co_return std::errc::message_size;
    }
  }
  auto waiting = p->wait();
  auto st = co_await rt::with_deadline(deadline, std::move(waiting));
  if (!st) {
    (void)p->kill(SIGKILL);
    co_return st.error();
  }
  if (!st->success()) co_return std::errc::no_such_process;  // vtysh could not reach the daemon
  co_return out;
}
}  // namespace

rt::task<rt::result<std::vector<session>>> read_sessions(vtysh_options o) {
  const auto deadline = rt::clock::now() + o.timeout;
  std::string bgp_command = "show bgp l2vpn evpn summary json", bfd_command = "show bfd peers json";
  auto bgp = co_await vtysh(o, std::move(bgp_command), deadline);
  if (!bgp) co_return bgp.error();
  auto bfd = co_await vtysh(o, std::move(bfd_command), deadline);
  if (!bfd) co_return bfd.error();
  co_return parse_sessions(*bgp, *bfd);
}

}  // namespace brood::frr
