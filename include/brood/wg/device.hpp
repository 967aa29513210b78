// A WireGuard device as brood configures it — its key, listen port and peers — and the change
// that takes the device from what it is to what it should be. Both backends (the kernel's
// generic netlink family, wireguard-go's UAPI socket) read a `device` and apply a
// `device_change`, so the reconciliation above them is one piece of code.
#pragma once

#include <brood/net/ip_prefix.hpp>
#include <brood/net/socket_address.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace brood::wg {

using key = std::array<std::uint8_t, 32>;  // X25519 (WireGuard) key

struct peer {
  key public_key{};
  std::optional<net::socket_address> endpoint;
  std::vector<net::ip_prefix> allowed_ips;  // compared by diff() as a set of networks
  std::uint16_t keepalive = 0;              // persistent keepalive in seconds, 0 off
  // Read back from the device only; never part of a change.
  std::int64_t last_handshake_ns = 0;  // since the epoch, 0 never
  std::uint64_t rx_bytes = 0, tx_bytes = 0;
};

struct device {
  std::optional<key> private_key;
  std::uint16_t listen_port = 0;
  std::vector<peer> peers;
  const peer* find(const key& pk) const;
};

/// What to tell a device: only what differs. A peer in `set_peers` is written whole (its
/// endpoint if it has one, its keepalive, and its allowed IPs replacing the old ones); a peer
/// not mentioned is left alone, so its session and handshake state survive.
struct device_change {
  std::optional<key> private_key;
  std::optional<std::uint16_t> listen_port;
  std::vector<peer> set_peers;
  std::vector<key> remove_peers;
  bool empty() const noexcept {
    return !private_key && !listen_port && set_peers.empty() && remove_peers.empty();
  }
};

/// The change that takes `current` to `desired`: the private key and port if they differ, the
/// peers `desired` lacks removed, new or differing peers (endpoint, keepalive, allowed IPs as a
/// set of networks: host bits past the prefix length cleared, as devices store them) written. A desired peer without an endpoint leaves the device's endpoint alone (the
/// peer may have roamed to it).
device_change diff(const device& current, const device& desired);

/// The lower-case hex form of a key (UAPI).
std::string to_hex(const key& k);

}  // namespace brood::wg
