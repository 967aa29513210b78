// frr::reloader: a rendered configuration applied to the FRR that runs beside the agent (the
// seed's brood-frr container, or daemons in the node's namespace), found through its run
// directory: the daemons' vty sockets and pid files. The text is applied whole by FRR's own
// frr-reload.py, which compares it with `show running-config` and sends only the difference
// through vtysh — so a change of one route-map resets no session, and what an operator changed
// by hand is put back. A change of a reflector's filters alone (a vlan membership) is sent
// straight to bgpd on its vty socket instead (policy_change), for it is on the path of every
// member-add.
// Either runs as a child process with a deadline, never on the reactor's time.
// Applied only when the text differs from the last one applied, or when bgpd or bfdd was
// restarted since (their pid files changed): FRR restarted underneath gets its config back. A
// failed apply keeps FRR's running config, and is tried again after a pause.
// Lifetime: one apply at a time.
#pragma once

#include <brood/frr/config.hpp>
#include <brood/frr/policy_change.hpp>
#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace brood::frr {

struct reload_options {
  std::string run_dir = "/run/frr";  // FRR's (with -N <pathspace>: /run/frr/<pathspace>)
  std::string pathspace;             // FRR's -N, passed on to vtysh
  std::string work_dir;              // brood's: frr.conf as applied, and the reload's log
  std::string program = "/usr/lib/frr/frr-reload.py";
  std::chrono::milliseconds timeout{30'000};
  std::chrono::milliseconds retry_after{5'000};  // after a failed apply
};

/// How vtysh and frr-reload.py are pointed at FRR: its pathspace when the run directory is the
/// one FRR gives that pathspace (/run/frr[/<pathspace>]), else that directory's vty sockets.
std::vector<std::string> location_args(const std::string& run_dir, const std::string& pathspace);

class reloader {
 public:
  explicit reloader(reload_options o) : _o(std::move(o)) {}

  /// The daemons brood needs answer there: zebra's, bgpd's and bfdd's vty sockets exist.
  bool present() const;
  /// Applies `c`, rendered as `text`, if needed; true when it was applied now.
  /// std::errc::no_such_process when FRR is not running; std::errc::resource_unavailable_try_again
  /// while pausing after a failure; std::errc::io_error when frr-reload.py failed (last_error()
  /// says why). Taken by value: the caller's may change while this waits for FRR.
  rt::task<rt::result<bool>> apply(config c, std::string text);

  const std::string& last_error() const noexcept { return _last_error; }
  std::uint64_t applies() const noexcept { return _applies; }
  std::uint64_t failures() const noexcept { return _failures; }
  std::uint64_t policy_changes() const noexcept { return _policy_changes; }  // of applies(): on bgpd's vty socket alone
  std::int64_t last_applied_ms() const noexcept { return _last_applied_ms; }
  std::chrono::milliseconds last_duration() const noexcept { return _last_duration; }

 private:
  rt::task<std::string> daemon_pids();
  /// frr-reload.py on `conf`, its output in frr-reload.log: true when it succeeded, else false
  /// with last_error() set.
  rt::task<rt::result<bool>> full_reload(std::string conf);
  /// The change sent to bgpd, line by line, into frr-policy.log: false at the first line bgpd
  /// refuses (last_error() says which), or when it cannot be reached.
  rt::task<bool> send_policy_change(policy_change change);

  reload_options _o;
  std::optional<config> _applied;  // as it runs, when known
  std::string _applied_text, _applied_pids;
  std::string _last_error;
  std::uint64_t _applies = 0, _failures = 0, _policy_changes = 0;
  std::int64_t _last_applied_ms = 0, _retry_at_ms = 0;
  std::chrono::milliseconds _last_duration{0};
};

}  // namespace brood::frr
