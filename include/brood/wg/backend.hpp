// backend: one WireGuard interface, read and changed through whichever implementation this
// host has — the kernel's generic netlink family "wireguard", or wireguard-go's UAPI socket.
// detect() picks at start: the kernel when its family exists, else wireguard-go.
//
// Lifetime: a backend holds no connection between calls (a restarted wireguard-go or a
// re-created interface is simply there at the next call); every call has a deadline.
#pragma once

#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>
#include <brood/wg/device.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace brood::wg {

class backend {
 public:
  virtual ~backend() = default;
  /// "kernel" or "wireguard-go".
  virtual std::string_view kind() const noexcept = 0;
  virtual const std::string& interface() const noexcept = 0;
  /// The device as it is now. std::errc::no_such_device when the interface is not there.
  virtual rt::task<rt::result<device>> get() = 0;
  /// Applies `c` (nothing when it is empty).
  virtual rt::task<rt::result<void>> apply(const device_change& c) = 0;
};

struct backend_options {
  std::string interface = "wg0";
  /// wireguard-go's UAPI socket directory (`<dir>/<interface>.sock`).
  std::string uapi_dir = "/var/run/wireguard";
  std::chrono::milliseconds timeout{2000};  // per call
};

/// wireguard-go's UAPI socket.
std::unique_ptr<backend> make_uapi_backend(backend_options o);
/// The kernel's generic netlink family; std::errc::not_supported when the kernel has no
/// WireGuard (it does not know the family "wireguard").
rt::task<rt::result<std::unique_ptr<backend>>> make_kernel_backend(backend_options o);
/// The kernel if it has WireGuard, else wireguard-go.
rt::task<std::unique_ptr<backend>> detect(backend_options o);

}  // namespace brood::wg
