// segments: vxlan<vni> on br<vni>, made, put right and taken away by difference.
#include <brood/agent/segments.hpp>

#include <brood/netlink/address.hpp>
#include <brood/netlink/bridge.hpp>
#include <brood/netlink/link.hpp>
#include <brood/rt/wall_clock.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace brood::agent {

namespace {
/// With no event, the devices are read again this often (an event is missed only if the
/// kernel drops it, and link_watcher then says so).
constexpr std::int64_t recheck_ms = 10'000;
/// After a failed pass, the next one waits this long (a failing request is not repeated at the
/// reconciler's pace).
constexpr std::int64_t retry_ms = 2'000;
constexpr netlink::bridge_port_flags vxlan_port_flags{false, true};
constexpr const char* kinds_in_removal_order[] = {"vxlan", "bridge"};  // a port before its bridge

const netlink::link_info* find(const std::vector<netlink::link_info>& links, const std::string& name) {
  auto it = std::find_if(links.begin(), links.end(), [&](const netlink::link_info& l) { return l.name == name; });
  return it == links.end() ? nullptr : &*it;
}
bool ours(const netlink::link_info& l, const char* kind) { return l.kind == kind && is_segment_alias(l.alias); }

/// A device of the segment's name and kind that brood made but could not give its alias (the
/// kernel takes the alias by a second request, and a crash can fall between): the bridge has
/// brood's MAC, the port exactly brood's settings. Any other device of that name is another's.
bool half_made(const netlink::link_info& l, const segment& s, const netlink::vxlan_settings& want) {
  if (!l.alias.empty()) return false;
  if (l.name == s.bridge) return l.kind == "bridge" && l.mac == s.mac;
  return l.kind == "vxlan" && l.vxlan == want;
}
}  // namespace

rt::task<rt::result<bool>> segments::apply(const segment_plan& p) {
  const auto now = rt::unix_ms();
  const bool same = p.segments == _planned && p.complete == _planned_complete && p.refused == _planned_refused;
  if (!_dirty && same && now - _checked_ms < recheck_ms) co_return false;
  if (now < _retry_at_ms) co_return false;
  _dirty = false;
  _checked_ms = now;
  auto r = co_await converge(p);
  if (r) {
    _planned = p.segments;
    _planned_complete = p.complete;
    _planned_refused = p.refused;
  } else {
    _dirty = true;
    _retry_at_ms = rt::unix_ms() + retry_ms;
  }
  co_return r;
}

rt::task<rt::result<bool>> segments::converge(const segment_plan& p) {
  auto links = co_await netlink::list_links();
  if (!links) co_return links.error();
  auto ports = co_await netlink::bridge_ports();
  if (!ports) co_return ports.error();
  bool changed = false;
  std::vector<std::string> problems = p.refused;

  // Vlans no longer planned: their devices go (the VXLAN port first), once the plan is known.
  if (p.complete) {
    auto planned = [&](const std::string& name) {
      return std::any_of(p.segments.begin(), p.segments.end(),
                         [&](const segment& s) { return s.vxlan == name || s.bridge == name; });
    };
    for (const char* kind : kinds_in_removal_order)
      for (auto& l : *links) {
        if (!ours(l, kind) || planned(l.name)) continue;
        auto d = co_await netlink::delete_link(l.index);
        if (!d && d.error() != std::errc::no_such_device) {
          problems.push_back(l.name + " could not be removed: " + d.error().message());
          continue;
        }
        changed = true;
      }
  }

  // Each vlan on its own: one that fails (a name taken, a VNI another device holds) is named in
  // status and stops none of the others.
  std::vector<segment> applied;
  for (auto& s : p.segments) {
    std::string why;
    auto r = co_await converge_one(s, *links, *ports, why);
    if (!r) {
      problems.push_back("vlan " + std::to_string(s.vni) + ": " + (why.empty() ? r.error().message() : why));
      continue;
    }
    if (*r) {
      changed = true;
      if (!_first) ++_restores;
    }
    applied.push_back(s);
  }

  // What EVPN put in each vlan's forwarding database, for status.
  std::map<std::uint32_t, learnt> learned;
  auto fdb = co_await netlink::fdb_entries();
  if (fdb) {
    for (auto& s : applied) {
      auto port = co_await netlink::get_link(s.vxlan);
      if (!port) continue;
      auto& l = learned[s.vni];
      std::set<netlink::mac_address> macs;
      for (auto& e : *fdb) {
        if (e.index != port->index || !e.dst) continue;
        if (e.mac == netlink::mac_address{}) l.vteps.push_back(e.dst->address_string());
        else macs.insert(e.mac);
      }
      std::sort(l.vteps.begin(), l.vteps.end());
      l.macs = macs.size();
    }
  }
  _learnt = std::move(learned);
  _applied = std::move(applied);
  _problems = std::move(problems);
  _first = false;
  co_return changed;
}

rt::task<rt::result<bool>> segments::converge_one(const segment& s, const std::vector<netlink::link_info>& links,
                                                   const std::map<int, netlink::bridge_port_flags>& ports,
                                                   std::string& why) {
  const netlink::vxlan_settings want{s.vni, s.vtep, vxlan_port, false};
  const auto* br = find(links, s.bridge);
  const auto* vx = find(links, s.vxlan);
  bool made = false;
  const netlink::link_info* existing[] = {br, vx};
  for (const auto* l : existing) {
    if (!l || ours(*l, l == br ? "bridge" : "vxlan")) continue;
    if (!half_made(*l, s, want)) {
      why = l->name + " exists and was not made by brood; left alone";
      co_return std::errc::file_exists;
    }
  }
  if (br && br->alias.empty()) {  // adopted: brood's own, half made
    auto a = co_await netlink::set_link_alias(br->index, segment_alias(s.vni));
    if (!a) co_return a.error();
    made = true;
  }
  if (vx && vx->alias.empty()) {
    auto a = co_await netlink::set_link_alias(vx->index, segment_alias(s.vni));
    if (!a) co_return a.error();
    made = true;
  }

  if (!br) {
    netlink::new_link l{s.bridge, "bridge", segment_mtu, s.mac, segment_alias(s.vni), 0, std::nullopt};
    auto c = co_await netlink::create_link(l);
    if (!c) co_return c.error();
    made = true;
  } else if (br->mac != s.mac) {
    auto m = co_await netlink::set_link_mac(br->index, s.mac);
    if (!m) co_return m.error();
    made = true;
  }
  auto bridge = co_await netlink::get_link(s.bridge);
  if (!bridge) co_return bridge.error();
  if (vx && vx->vxlan != want) {  // VNI, VTEP, port or learning changed: made again
    auto d = co_await netlink::delete_link(vx->index);
    if (!d && d.error() != std::errc::no_such_device) co_return d.error();
    vx = nullptr;
  }
  if (!vx) {
    netlink::new_link l{s.vxlan, "vxlan", segment_mtu, std::nullopt, segment_alias(s.vni), bridge->index, want};
    auto c = co_await netlink::create_link(l);
    if (!c) {
      if (c.error() == std::errc::file_exists) why = "another VXLAN device holds VNI " + std::to_string(s.vni) + " on port 4789";
      co_return c.error();
    }
    made = true;
  } else if (vx->master != bridge->index) {
    auto m = co_await netlink::set_link_master(vx->index, bridge->index);
    if (!m) co_return m.error();
    made = true;
  }
  auto port = co_await netlink::get_link(s.vxlan);
  if (!port) co_return port.error();
  auto flags = ports.find(port->index);
  if (made || flags == ports.end() || flags->second != vxlan_port_flags) {
    auto f = co_await netlink::set_bridge_port(port->index, vxlan_port_flags);
    if (!f) co_return f.error();
    made = made || flags == ports.end() || flags->second != vxlan_port_flags;
  }
  std::vector<net::ip_prefix> no_addresses;
  auto up = co_await netlink::converge_link(port->index, std::move(no_addresses), segment_mtu);
  if (!up) co_return up.error();
  std::vector<net::ip_prefix> svi{s.svi};
  auto addressed = co_await netlink::converge_link(bridge->index, std::move(svi), segment_mtu);
  if (!addressed) co_return addressed.error();
  co_return made || *up || *addressed;
}

void segments::describe(json::writer& w) const {
  w.key("vlans").begin_array();
  for (auto& s : _applied) {
    w.begin_object()
        .key("vni").number(static_cast<std::int64_t>(s.vni))
        .key("bridge").string(s.bridge)
        .key("vxlan").string(s.vxlan)
        .key("ip").string(s.svi.to_string())
        .key("vtep").string(s.vtep.address_string());
    auto l = _learnt.find(s.vni);
    w.key("remote_vteps").begin_array();
    if (l != _learnt.end())
      for (auto& v : l->second.vteps) w.string(v);
    w.end_array().key("remote_macs").number(static_cast<std::int64_t>(l == _learnt.end() ? 0 : l->second.macs));
    w.end_object();
  }
  w.end_array().key("vlan_problems").begin_array();
  for (auto& p : _problems) w.string(p);
  w.end_array();
}

}  // namespace brood::agent
