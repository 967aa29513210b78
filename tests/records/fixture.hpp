// Test fixtures for records: keys from fixed seeds and a whole brood's state — N nodes with
// realistic IPv4 and IPv6 endpoints, V vlans with every node a member — built the way a scout
// would (overlay addresses from records::overlay_ip).
#pragma once

#include <brood/records/overlay_ip.hpp>
#include <brood/records/record_set.hpp>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace brood::test {

/// An identity whose seed is the bytes base+1 … base+32 (the golden vectors use base 0 for the
/// scout and 32 for the node).
inline crypto::identity seeded(std::uint8_t base) {
  std::array<std::uint8_t, 32> seed{};
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(base + i + 1);
  return crypto::identity::from_seed(seed);
}

inline crypto::identity numbered(std::uint32_t n) {
  std::array<std::uint8_t, 32> seed{};
  seed[0] = 0xb0;
  seed[1] = static_cast<std::uint8_t>(n >> 8);
  seed[2] = static_cast<std::uint8_t>(n);
  return crypto::identity::from_seed(seed);
}

inline crypto::secret_key filled_key(std::uint8_t b) {
  crypto::secret_key k{};
  k.fill(b);
  return k;
}

inline constexpr std::int64_t golden_ts = 1763779200000;  // 2025-11-22T03:20:00Z

struct brood_fixture {
  crypto::identity scout = seeded(0);
  std::vector<crypto::identity> nodes;
  records::brood_state state;

  brood_fixture(unsigned n_nodes, unsigned n_vlans) {
    state.meta.asn = 65077;
    state.meta.subnet = "10.77.0.0/16";
    state.meta.kv = 1;
    state.meta.scouts = {scout.pk()};
    state.meta.ts = golden_ts;
    state.key = filled_key(0xa5);
    state.ts = golden_ts;
    std::set<std::string> taken;
    for (unsigned i = 0; i < n_nodes; ++i) {
      nodes.push_back(numbered(i));
      records::node_record n;
      n.pk = nodes.back().pk();
      n.role = i == 0 ? "scout" : "worker";
      n.ip = *records::overlay_ip(n.pk, state.meta.subnet, [&](std::string_view ip) { return taken.count(std::string(ip)) > 0; });
      taken.insert(n.ip);
      // Longest plausible textual forms, so the sizes below are the worst case.
      n.endpoints = {"203.0.113." + std::to_string(100 + i % 155) + ":51820",
                     "[2001:db8:85a3:1234:5678:8a2e:" + std::to_string(1000 + i) + ":7334]:51820"};
      n.ts = golden_ts;
      state.nodes.push_back(std::move(n));
    }
    records::liveness_record live{scout.id10(), "0123456789abcdef", {}, golden_ts};
    for (std::size_t i = 1; i < nodes.size(); i += 40) live.down.push_back(nodes[i].id10());  // a few silent
    std::sort(live.down.begin(), live.down.end());
    state.liveness = std::move(live);
    for (unsigned v = 0; v < n_vlans; ++v) {
      records::vlan_record vl{100 + v, "vlan-" + std::to_string(100 + v), "10.200." + std::to_string(v) + ".0/24",
                              golden_ts};
      state.vlans.push_back(vl);
      for (unsigned i = 0; i < n_nodes; ++i)
        state.members[vl.vni].push_back(
            {nodes[i].pk(), "10.200." + std::to_string(v) + "." + std::to_string(2 + i), golden_ts});
    }
  }
};

}  // namespace brood::test
