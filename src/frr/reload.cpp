// frr::reloader: frr.conf written; a change of filters alone sent on bgpd's vty socket, anything
// else through frr-reload.py --reload on a pidfd; each with a deadline and a log kept for the
// error; FRR's restarts told by its pid files.
#include <brood/frr/reload.hpp>

#include <brood/frr/policy_change.hpp>
#include <brood/frr/vty.hpp>

#include <brood/rt/file.hpp>
#include <brood/rt/process.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/wall_clock.hpp>
#include <brood/rt/with_timeout.hpp>

#include <sys/stat.h>

#include <csignal>
#include <vector>

namespace brood::frr {

namespace {
bool exists(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0;
}
/// The last lines of a log, for a status line.
std::string tail_of(const std::string& log, std::size_t max = 600) {
  std::string t = log.size() > max ? log.substr(log.size() - max) : log;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t;
}
}  // namespace

std::vector<std::string> location_args(const std::string& run_dir, const std::string& pathspace) {
  const std::string own = pathspace.empty() ? "/run/frr" : "/run/frr/" + pathspace;
  if (run_dir.empty() || run_dir == own) {
    if (pathspace.empty()) return {};
    return {"--pathspace", pathspace};
  }
  return {"--vty_socket", run_dir};  // (with a pathspace too, vtysh would look below it)
}

bool reloader::present() const {
  for (const char* d : {"zebra", "bgpd", "bfdd"})
    if (!exists(_o.run_dir + "/" + d + ".vty")) return false;
  return true;
}

rt::task<std::string> reloader::daemon_pids() {
  // The daemons whose configuration is lost when they restart (zebra's is none of brood's).
  static constexpr const char* configured[] = {"bgpd", "bfdd"};
  std::string pids;
  for (const char* d : configured) {
    std::string path = _o.run_dir + "/" + d + ".pid";
    auto p = co_await rt::read_file(std::move(path), 64);
    if (!p) co_return std::string{};
    pids += *p + " ";
  }
  co_return pids;
}

rt::task<rt::result<bool>> reloader::full_reload(std::string conf) {
  std::string log = _o.work_dir + "/frr-reload.log";
  // In a session of its own (setsid), so that a run cut by the deadline is killed with the
  // vtysh processes frr-reload.py started; a shell only to send its output to the log; the
  // arguments go as they are.
  std::vector<std::string> argv{"setsid", "/bin/sh", "-c", "log=$1; shift; exec \"$@\" >\"$log\" 2>&1", "sh", log,
                                _o.program, "--reload", "--stdout", "--rundir", _o.work_dir, "--bindir", "/usr/bin"};
  for (auto& a : location_args(_o.run_dir, _o.pathspace)) argv.push_back(a);
  argv.push_back(std::move(conf));
  rt::process_options po;
  po.in = rt::process_options::stdio::null;
  const auto start = rt::clock::now();
  auto p = rt::process::spawn(argv, po);
  if (!p) co_return p.error();
  auto waiting = p->wait();
  auto st = co_await rt::with_timeout(_o.timeout, std::move(waiting));
  _last_duration = std::chrono::duration_cast<std::chrono::milliseconds>(rt::clock::now() - start);
  if (st && st->success()) co_return true;
  if (!st) ::kill(-p->pid(), SIGKILL);  // the whole session; the shell is reaped when `p` goes
  auto out = co_await rt::read_file(log, 1 << 20);
  _last_error = !st ? "frr-reload.py: " + st.error().message()
                    : "frr-reload.py exited " + std::to_string(st->exited ? st->code : 128 + st->signal);
  if (out && !out->empty()) _last_error += ": " + tail_of(*out);
  co_return false;
}

rt::task<bool> reloader::send_policy_change(policy_change change) {
  const auto start = rt::clock::now();
  const auto deadline = start + _o.timeout;
  std::string path = vty_socket_path(_o.run_dir, _o.pathspace, "bgpd"), log;
  auto vty = co_await vty_client::connect(std::move(path), deadline);
  bool ok = vty.has_value();
  if (!ok) _last_error = "bgpd's vty: " + vty.error().message();
  for (auto& line : vty_commands(change)) {
    if (!ok) break;
    log += line + "\n";
    std::string command = line;
    auto a = co_await vty->run(std::move(command), deadline);
    ok = a && a->status == 0;
    if (a) log += a->output;
    if (!ok)
      _last_error = "bgpd refused '" + line + "': " +
                    (a ? "status " + std::to_string(a->status) + " " + tail_of(a->output) : a.error().message());
  }
  _last_duration = std::chrono::duration_cast<std::chrono::milliseconds>(rt::clock::now() - start);
  std::string log_path = _o.work_dir + "/frr-policy.log";
  (void)co_await rt::write_file_atomic(log_path, log, 0640, rt::durability::relaxed);
  co_return ok;
}

rt::task<rt::result<bool>> reloader::apply(config c, std::string text) {
  auto pids = co_await daemon_pids();
  if (pids.empty() || !present()) co_return std::errc::no_such_process;
  if (text == _applied_text && pids == _applied_pids) co_return false;
  const auto now = rt::unix_ms();
  if (now < _retry_at_ms) co_return std::errc::resource_unavailable_try_again;

  const std::string conf = _o.work_dir + "/frr.conf";
  auto written = co_await rt::write_file_atomic(conf, text, 0640, rt::durability::relaxed);
  if (!written) co_return written.error();
  bool done = false;
  // The same daemons, running what was applied last, and only filters differ: the change alone.
  // If bgpd refuses it, the full reload below puts everything right.
  if (_applied && pids == _applied_pids) {
    auto change = plan_policy_change(*_applied, c);
    if (change && !change->empty()) {
      done = co_await send_policy_change(std::move(*change));
      if (done) ++_policy_changes;
    }
  }
  if (!done) {
    auto ran = co_await full_reload(conf);
    if (!ran) co_return ran.error();
    if (!*ran) {
      ++_failures;
      _retry_at_ms = rt::unix_ms() + _o.retry_after.count();
      _applied.reset();  // what runs now is neither the old config nor the new
      co_return std::errc::io_error;
    }
  }
  _applied = std::move(c);
  _applied_text = std::move(text);
  _applied_pids = std::move(pids);
  _last_error.clear();
  ++_applies;
  _last_applied_ms = rt::unix_ms();
  co_return true;
}

}  // namespace brood::frr
