// frr policy change: two configs compared field by field; the VNI lists' difference as
// extcommunity-list lines in render()'s own words (vni_list_entry), so that the running config
// after the change is the text a full reload would have made.
#include <brood/frr/policy_change.hpp>

#include <brood/frr/render.hpp>

#include <algorithm>
#include <set>

namespace brood::frr {

namespace {
/// The two neighbours are one session configured alike, but for the VNIs.
bool same_but_vnis(const neighbor& a, const neighbor& b) {
  return a.address == b.address && a.description == b.description && a.client == b.client && a.name == b.name;
}
}  // namespace

std::optional<policy_change> plan_policy_change(const config& from, const config& to) {
  if (from.hostname != to.hostname || from.asn != to.asn || from.router_id != to.router_id ||
      from.route_reflector != to.route_reflector || from.bfd != to.bfd || from.neighbors.size() != to.neighbors.size())
    return std::nullopt;
  policy_change p;
  for (std::size_t i = 0; i < from.neighbors.size(); ++i) {
    const auto &was = from.neighbors[i], &now = to.neighbors[i];
    if (!same_but_vnis(was, now)) return std::nullopt;
    if (!to.route_reflector || !now.client) {
      if (was.vnis != now.vnis) return std::nullopt;  // render() writes none: nothing to apply
      continue;
    }
    const std::set<std::uint32_t> before(was.vnis.begin(), was.vnis.end()), after(now.vnis.begin(), now.vnis.end());
    if (before == after) continue;
    // Added before removed: a VNI moved within one change is never absent from the list.
    for (auto v : after)
      if (!before.count(v)) p.commands.push_back(vni_list_entry(to, now, v));
    for (auto v : before)
      if (!after.count(v)) p.commands.push_back("no " + vni_list_entry(from, was, v));
    p.refresh.push_back(now.address);
  }
  return p;
}

std::vector<std::string> vty_commands(const policy_change& p) {
  std::vector<std::string> lines{"configure terminal"};
  lines.insert(lines.end(), p.commands.begin(), p.commands.end());
  lines.push_back("end");
  for (auto& addr : p.refresh) lines.push_back("clear bgp l2vpn evpn " + addr + " soft");
  return lines;
}

}  // namespace brood::frr
