// netns: network namespaces a test creates for itself — commands run with `ip`/`nft` as child
// processes of the reactor, and every namespace removed when the lab object goes away, whether
// the test passed or not. Also `in_netns`, which moves the calling thread into a namespace for
// a scope: sockets created meanwhile stay in that namespace for good.
//
// Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN); available() says whether this machine allows it.
#pragma once

#include <brood/rt/process.hpp>
#include <brood/rt/task.hpp>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace brood::test {

class netns_lab {
 public:
  /// Namespaces are named `<prefix><pid % 100000><name>` so that parallel tests never meet.
  explicit netns_lab(std::string prefix) : _prefix(std::move(prefix) + std::to_string(::getpid() % 100000)) {}
  netns_lab(const netns_lab&) = delete;
  netns_lab& operator=(const netns_lab&) = delete;
  ~netns_lab() {
    for (auto it = _names.rbegin(); it != _names.rend(); ++it)
      (void)std::system(("ip netns del " + *it + " 2>/dev/null").c_str());
  }

  /// Root, and `ip netns` works here.
  static bool available() { return ::geteuid() == 0 && std::system("ip netns list >/dev/null 2>&1") == 0; }

  std::string name(const std::string& n) const { return _prefix + n; }

  /// Creates namespace `n` (loopback up); false if it could not.
  rt::task<bool> add(std::string n) {
    const std::string full = name(n);
    const std::vector<std::string> create{"ip", "netns", "add", full};
    bool ok = co_await run(create);
    if (!ok) co_return false;
    _names.push_back(full);
    const std::vector<std::string> lo_up{"ip", "-n", full, "link", "set", "lo", "up"};
    co_return co_await run(lo_up);
  }

  /// One command, its output discarded; true when it exited 0.
  static rt::task<bool> run(std::vector<std::string> argv) {
    rt::process_options o;
    o.in = o.out = rt::process_options::stdio::null;
    auto p = rt::process::spawn(argv, o);
    if (!p) co_return false;
    auto st = co_await p->wait();
    co_return st.has_value() && st->success();
  }
  /// A shell command line (for nft scripts and pipes).
  static rt::task<bool> sh(std::string line) {
    const std::vector<std::string> argv{"bash", "-c", std::move(line)};
    co_return co_await run(argv);
  }

 private:
  std::string _prefix;
  std::vector<std::string> _names;
};

/// The calling thread in namespace `full_name` until destroyed. ok() is false if it could not.
class in_netns {
 public:
  explicit in_netns(const std::string& full_name) {
    _home = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    const int target = ::open(("/run/netns/" + full_name).c_str(), O_RDONLY | O_CLOEXEC);
    _ok = _home >= 0 && target >= 0 && ::setns(target, CLONE_NEWNET) == 0;
    if (target >= 0) ::close(target);
  }
  in_netns(const in_netns&) = delete;
  in_netns& operator=(const in_netns&) = delete;
  ~in_netns() {
    if (_home >= 0) {
      if (_ok && ::setns(_home, CLONE_NEWNET) != 0) std::abort();  // the rest of the test would run elsewhere
      ::close(_home);
    }
  }
  bool ok() const { return _ok; }

 private:
  int _home = -1;
  bool _ok = false;
};

}  // namespace brood::test
