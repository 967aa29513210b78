// wg_node: a lab node for tests — a network namespace plus its own mount namespace (an
// "anchor" process holds it), with <dir>/run bind-mounted over /run/wireguard so that each
// node's wireguard-go can have its own wg0.sock (the path is global otherwise); and
// wireguard-go running in it. The socket is reachable from the test at uapi_dir().
#pragma once

#include "support/netns.hpp"

#include <brood/rt/process.hpp>
#include <brood/rt/timer.hpp>

#include <csignal>
#include <filesystem>
#include <optional>
#include <string>

namespace brood::test {

struct wg_node {
  std::string ns;   // full namespace name
  std::string dir;  // scratch directory of this node
  std::optional<rt::process> anchor, wireguard_go;

  std::string uapi_dir() const { return dir + "/run"; }
  std::string socket() const { return uapi_dir() + "/wg0.sock"; }

  /// `nsenter` into this node's network and mount namespaces, then argv.
  std::vector<std::string> inside(std::vector<std::string> argv) const {
    std::vector<std::string> a{"nsenter", "-t", std::to_string(anchor->pid()), "-m", "-n"};
    a.insert(a.end(), argv.begin(), argv.end());
    return a;
  }

  /// The anchor (in the existing namespace `full_ns`), then wireguard-go, waited for (bounded)
  /// until its UAPI socket exists.
  rt::task<bool> start(std::string full_ns, std::string scratch, bool with_wireguard_go = true) {
    ns = std::move(full_ns);
    dir = std::move(scratch);
    std::filesystem::create_directories(uapi_dir());
    std::filesystem::create_directories("/run/wireguard");
    rt::process_options o;
    o.in = o.out = rt::process_options::stdio::null;
    std::vector<std::string> a{"setpriv", "--pdeathsig", "KILL", "--", "ip", "netns", "exec", ns,
                               "unshare", "-m", "--propagation", "private", "sh", "-c",
                               "mount --bind '" + uapi_dir() + "' /run/wireguard && exec sleep infinity"};
    auto p = rt::process::spawn(a, o);
    if (!p) co_return false;
    anchor.emplace(std::move(*p));
    // The anchor is ready once its mount namespace differs from ours and the bind is in place.
    bool ready = false;
    for (int i = 0; i < 200 && !ready; ++i) {
      (void)co_await rt::sleep_for(std::chrono::milliseconds(10));
      const auto check = inside({"mountpoint", "-q", "/run/wireguard"});
      ready = co_await netns_lab::run(check);
    }
    if (!ready) co_return false;
    if (!with_wireguard_go) co_return true;
    co_return co_await start_wireguard_go();
  }

  rt::task<bool> start_wireguard_go() {
    rt::process_options o;
    o.in = o.out = o.err = rt::process_options::stdio::null;
    auto argv = inside({"wireguard-go", "-f", "wg0"});
    argv.insert(argv.begin(), {"setpriv", "--pdeathsig", "KILL", "--"});
    auto p = rt::process::spawn(argv, o);
    if (!p) co_return false;
    wireguard_go.emplace(std::move(*p));
    for (int i = 0; i < 300; ++i) {
      if (std::filesystem::exists(socket())) co_return true;
      (void)co_await rt::sleep_for(std::chrono::milliseconds(10));
    }
    co_return false;
  }

  rt::task<void> stop() {
    for (auto* p : {&wireguard_go, &anchor}) {
      if (!*p) continue;
      (void)(*p)->kill(SIGTERM);
      (void)co_await (*p)->wait();
      p->reset();
    }
  }
};

}  // namespace brood::test
