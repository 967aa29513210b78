// frr::render: config → frr.conf text. The layout follows FRR 8.4's own `show running-config`
// (one space per nesting level, "exit" closing each block, defaults left out), so that
// frr-reload.py finds nothing to change in a config that is applied already.
#include <brood/frr/render.hpp>

#include <brood/net/ip_prefix.hpp>

#include <algorithm>
#include <set>

namespace brood::frr {

namespace {
/// A bound on what one client's list may hold (the whole config stays a few MB at most).
constexpr std::size_t max_vnis_per_neighbor = 16'384;

bool safe_word(std::string_view s, std::size_t max) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.';
  });
}
bool safe_text(std::string_view s) {  // a description: printable, no line breaks
  return s.size() <= 80 && std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}
bool ipv4(const std::string& s) {
  auto a = net::ip_prefix::parse_address(s);
  return a && a->family == AF_INET;
}
}  // namespace

std::string route_map_name(const neighbor& n) { return "brood-" + n.name; }
std::string vni_list_name(const neighbor& n) { return "brood-" + n.name + "-vnis"; }
std::string vni_list_entry(const config& c, const neighbor& n, std::uint32_t vni) {
  // The route targets are FRR's own (auto-derived: the low 16 bits of the ASN, and the VNI); the
  // sequence number is the VNI, so that one member more or less is one line more or less.
  const auto v = std::to_string(vni);
  return "bgp extcommunity-list standard " + vni_list_name(n) + " seq " + v + " permit rt " +
         std::to_string(c.asn & 0xFFFFu) + ":" + v;
}

rt::result<std::string> render(const config& c) {
  if ((!c.hostname.empty() && !safe_word(c.hostname, 63)) || c.asn == 0 || !ipv4(c.router_id)) return std::errc::invalid_argument;
  std::set<std::string> seen;
  for (auto& n : c.neighbors) {
    if (!ipv4(n.address) || n.address == c.router_id || !seen.insert(n.address).second || !safe_text(n.description))
      return std::errc::invalid_argument;
    if (c.route_reflector && n.client && !safe_word(n.name, 40)) return std::errc::invalid_argument;
    if (n.vnis.size() > max_vnis_per_neighbor) return std::errc::invalid_argument;  // route-map sequences
    for (auto v : n.vnis)
      if (v == 0 || v > 16'777'215) return std::errc::invalid_argument;
  }
  const auto asn = std::to_string(c.asn);
  std::string t;
  auto line = [&t](std::string_view s) {
    t.append(s);
    t.push_back('\n');
  };
  // No "frr version": FRR prints its own, and frr-reload.py would see a difference at every
  // reload. The hostname is the host's (FRR's own default), for the same reason.
  line("frr defaults datacenter");
  if (!c.hostname.empty()) line("hostname " + c.hostname);
  line("service integrated-vtysh-config");
  line("!");

  // Zero leakage: a reflector sends each client only the routes whose route target is one of
  // its vlans', and takes from it only those; everything else stops at the reflector. Each
  // client's vlans are one list of its own, matched by one route-map both ways: a client with no
  // vlans has no list, matches nothing, and the route-map's implicit deny drops everything.
  if (c.route_reflector) {
    bool any = false;
    for (auto& n : c.neighbors) {
      if (!n.client) continue;
      std::vector<std::uint32_t> mine(n.vnis);
      std::sort(mine.begin(), mine.end());
      mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
      for (auto v : mine) line(vni_list_entry(c, n, v));
      any = any || !mine.empty();
    }
    if (any) line("!");
    for (auto& n : c.neighbors) {
      if (!n.client) continue;
      line("route-map " + route_map_name(n) + " permit 10");
      line(" match extcommunity " + vni_list_name(n));
      line("exit");
      line("!");
    }
  }

  // A filter changed by a full reload (a member joined a vlan while other things changed too)
  // is applied within a second, not after FRR's default 5 s batch (0 would stop applying
  // route-map changes by themselves); a change of filters alone is applied at once
  // (policy_change).
  if (c.route_reflector) {
    line("bgp route-map delay-timer 1");
    line("!");
  }
  line("router bgp " + asn);
  line(" bgp router-id " + c.router_id);
  line(" no bgp default ipv4-unicast");
  if (c.route_reflector) line(" bgp cluster-id " + c.router_id);
  for (auto& n : c.neighbors) {
    line(" neighbor " + n.address + " remote-as internal");
    if (!n.description.empty()) line(" neighbor " + n.address + " description " + n.description);
    line(" neighbor " + n.address + " bfd");
    line(" neighbor " + n.address + " bfd profile brood");
  }
  line(" !");
  line(" address-family l2vpn evpn");
  for (auto& n : c.neighbors) {
    line("  neighbor " + n.address + " activate");
    if (c.route_reflector && n.client) {
      line("  neighbor " + n.address + " route-reflector-client");
      line("  neighbor " + n.address + " route-map " + route_map_name(n) + " in");
      line("  neighbor " + n.address + " route-map " + route_map_name(n) + " out");
    }
  }
  line("  advertise-all-vni");
  line("  advertise-svi-ip");
  line(" exit-address-family");
  line("exit");
  line("!");
  line("bfd");
  line(" profile brood");
  if (c.bfd.detect_multiplier != 3)  // FRR's default, which show running-config leaves out
    line("  detect-multiplier " + std::to_string(c.bfd.detect_multiplier));
  line("  receive-interval " + std::to_string(c.bfd.receive_ms));
  line("  transmit-interval " + std::to_string(c.bfd.transmit_ms));
  line(" exit");
  line(" !");
  line("exit");
  line("!");
  return t;
}

}  // namespace brood::frr
