// mesh: the node's WireGuard interface made to match a plan — the interface created when
// it is missing (the kernel's, or a wireguard-go daemon), the peers changed through the
// backend by difference only, its overlay address, MTU 1420 and up state set through rtnl —
// and the time at which each peer and endpoint was put in place (status, convergence bench).
// Lifetime: owns its backend; one apply at a time.
#pragma once

#include <brood/agent/config.hpp>
#include <brood/agent/peer_plan.hpp>
#include <brood/json/writer.hpp>
#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>
#include <brood/wg/backend.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace brood::agent {

struct peer_state {
  std::string id10, ip;
  std::string endpoint;                 // as the device has it now ("" before the first packet)
  std::int64_t since_ms = 0;            // wall clock: put on the device
  std::int64_t endpoint_since_ms = 0;   // wall clock: its endpoint last set by brood
  std::int64_t last_handshake_ms = 0;   // 0: never
  std::uint64_t rx_bytes = 0, tx_bytes = 0;
};

struct removed_peer {
  std::string id10;
  std::int64_t at_ms = 0;
};

class mesh {
 public:
  mesh(const config& c, std::unique_ptr<wg::backend> b);

  /// The device as it is, the interface created first if it is missing.
  rt::task<rt::result<wg::device>> device();
  /// Makes the interface match `p` (computed from `current`, which device() returned); true
  /// when anything changed.
  rt::task<rt::result<bool>> apply(const wg::device& current, const plan& p);

  /// A link or address event: the interface is read and set again at the next apply.
  void link_changed() noexcept { _link_dirty = true; }

  std::string_view backend_kind() const noexcept { return _b->kind(); }
  const std::map<std::string, peer_state>& peers() const noexcept { return _peers; }  // by id10
  const std::deque<removed_peer>& removed() const noexcept { return _removed; }       // newest last
  /// id10 → the endpoints each peer announced at the last apply (for make_plan).
  const std::map<std::string, std::vector<std::string>>& announced() const noexcept { return _announced; }
  std::uint64_t changes() const noexcept { return _changes; }
  std::uint64_t interface_restores() const noexcept { return _restores; }
  /// Its section of status.json: backend, changes, interface_restores, peers, removed.
  void describe(json::writer& w) const;

 private:
  rt::task<rt::result<void>> create_interface();

  const config& _c;
  std::unique_ptr<wg::backend> _b;
  std::map<std::string, peer_state> _peers;
  std::deque<removed_peer> _removed;
  std::map<std::string, std::vector<std::string>> _announced;
  std::int64_t _next_create_ms = 0;  // backoff after a failed interface creation
  bool _link_dirty = true;
  std::optional<net::ip_prefix> _link_address;  // the address last converged
  unsigned _create_failures = 0;
  std::uint64_t _changes = 0, _restores = 0;
};

}  // namespace brood::agent
