// device diff: the smallest change that makes a WireGuard device match the plan.
#include <brood/wg/device.hpp>

#include <algorithm>

namespace brood::wg {

const peer* device::find(const key& pk) const {
  for (auto& p : peers)
    if (p.public_key == pk) return &p;
  return nullptr;
}

namespace {
/// The networks as a device keeps them: host bits cleared (the kernel and wireguard-go store
/// 10.1.2.3/24 as 10.1.2.0/24), sorted, once each.
std::vector<net::ip_prefix> networks(std::vector<net::ip_prefix> v) {
  for (auto& p : v)
    for (std::size_t bit = p.length; bit < p.addr_size() * 8; ++bit)
      p.addr[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}
}  // namespace

device_change diff(const device& current, const device& desired) {
  device_change c;
  if (desired.private_key && desired.private_key != current.private_key) c.private_key = desired.private_key;
  if (desired.listen_port != 0 && desired.listen_port != current.listen_port) c.listen_port = desired.listen_port;
  for (auto& have : current.peers)
    if (!desired.find(have.public_key)) c.remove_peers.push_back(have.public_key);
  for (auto& want : desired.peers) {
    const peer* have = current.find(want.public_key);
    const bool same = have && (!want.endpoint || have->endpoint == want.endpoint) &&
                      have->keepalive == want.keepalive && networks(have->allowed_ips) == networks(want.allowed_ips);
    if (same) continue;
    peer p = want;
    p.allowed_ips = networks(std::move(p.allowed_ips));
    p.last_handshake_ns = 0;
    p.rx_bytes = p.tx_bytes = 0;
    c.set_peers.push_back(std::move(p));
  }
  return c;
}

std::string to_hex(const key& k) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(64);
  for (auto b : k) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 15]);
  }
  return s;
}

}  // namespace brood::wg
