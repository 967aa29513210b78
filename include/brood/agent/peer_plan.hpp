// peer_plan: the WireGuard device a node should have, computed from its view of the brood
// alone — every other admitted node a peer (its WireGuard key derived from its pk, its overlay
// address as the allowed IP), except those the scouts' fresh liveness evidence says are down
// (SPEC §5.5). Liveness can never become an outage: a peer this node has a live WireGuard
// session with is kept whatever the scouts say, and when the evidence would exclude more than
// max_excluded_fraction of the peers at once nobody is excluded (a control-plane fault looks
// like that, a few dead hosts do not). Two nodes holding one overlay address are resolved the
// same way on every node and every pass (the lower pk keeps it), so AllowedIPs never flap.
// Pure: no I/O, so the whole policy is unit-tested.
#pragma once

#include <brood/records/view.hpp>
#include <brood/wg/device.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace brood::agent {

struct plan_input {
  const records::view* view = nullptr;
  crypto::public_key self{};
  wg::key private_key{};
  std::uint16_t listen_port = 51820;
  std::int64_t now_ms = 0;
  std::uint16_t keepalive = 25;  // WireGuard persistent keepalive, seconds
  /// The device as it is. A peer keeps the endpoint it roamed to when that is one it announced,
  /// or when its session is alive (a handshake within 180 s, WireGuard's REJECT_AFTER_TIME) and
  /// it announced nothing new since `announced_before` — roaming finds what NATs rewrite.
  const wg::device* current = nullptr;
  /// id10 → the endpoints each peer announced when the device was last planned.
  const std::map<std::string, std::vector<std::string>>* announced_before = nullptr;
  /// False until one complete read of the brood: peers on the device that the view does not
  /// (yet) hold are kept, so a restart with DNS down removes nothing.
  bool view_complete = true;
};

struct planned_peer {
  std::string id10;                    // "" for a peer kept from the device, unknown to the view
  std::string ip;
  std::vector<std::string> announced;  // the endpoints its record lists
};

struct plan {
  wg::device device;
  std::optional<net::ip_prefix> address;  // this node's overlay address with the subnet's length
  std::vector<planned_peer> peers;         // in device order
  std::vector<std::string> excluded;       // id10s judged down, left out until they come back
  std::vector<std::string> kept_alive;     // id10s judged down but kept: a live session with them
  std::vector<std::string> unusable;       // id10s whose record gives no usable key or address
  std::vector<std::string> duplicate_ip;   // id10s left out: another node (lower pk) holds their ip
  /// Why liveness excluded nobody though the evidence listed peers as down ("" otherwise).
  std::string liveness_refused;
};

/// Liveness may exclude at most this share of the peers at once (and always at least one).
inline constexpr double max_excluded_fraction = 0.5;

/// The plan for `in`. Liveness evidence counts as fresh for 3 × the brood's keepalive (a
/// scout rewrites its _l at least every 2 × keepalive); a session is live while its last
/// handshake is within WireGuard's REJECT_AFTER_TIME (180 s).
plan make_plan(const plan_input& in);

}  // namespace brood::agent
