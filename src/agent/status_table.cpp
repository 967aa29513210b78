// render_status: status.json as tables for people — the node, its peers, its vlans, FRR's sessions.
#include <brood/agent/status_table.hpp>

#include <brood/rt/wall_clock.hpp>

#include <cstdio>
#include <cstdlib>

namespace brood::agent {

namespace {
std::string str(const json::value& v, std::string_view key) {
  const auto* x = v.find(key);
  if (x && x->as_string()) return x->as_string()->empty() ? "-" : *x->as_string();
  if (x && x->as_int()) return std::to_string(*x->as_int());
  return "-";
}
std::int64_t num(const json::value& v, std::string_view key) {
  const auto* x = v.find(key);
  auto n = x ? x->as_int() : rt::result<std::int64_t>(std::errc::invalid_argument);
  return n ? *n : 0;
}
/// "3s ago", "never".
std::string age(std::int64_t then_ms, std::int64_t now_ms) {
  if (then_ms <= 0) return "never";
  const auto s = (now_ms - then_ms) / 1000;
  if (s < 120) return std::to_string(s) + "s ago";
  if (s < 7200) return std::to_string(s / 60) + "m ago";
  return std::to_string(s / 3600) + "h ago";
}
}  // namespace

std::string render_status(const json::value& st) {
  const auto now = rt::unix_ms();
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "node %s  %s  ip %s  kv %s  %s\n", str(st, "id").c_str(), str(st, "phase").c_str(),
                str(st, "ip").c_str(), str(st, "kv").c_str(), str(st, "domain").c_str());
  out += line;
  std::string eps;
  if (const auto* e = st.find("endpoints"); e && e->as_array())
    for (auto& x : *e->as_array())
      if (x.as_string()) eps += (eps.empty() ? "" : ",") + *x.as_string();
  std::snprintf(line, sizeof line, "wireguard %s (%s)  endpoints %s  nat %s\n", str(st, "interface").c_str(),
                str(st, "backend").c_str(), eps.empty() ? "-" : eps.c_str(), str(st, "nat").c_str());
  out += line;
  std::snprintf(line, sizeof line, "last sync %s (ok %s), %s syncs, %s failed  watch %s, %s pushes  scout %s\n",
                age(num(st, "last_sync_ms"), now).c_str(), age(num(st, "last_sync_ok_ms"), now).c_str(),
                str(st, "syncs").c_str(), str(st, "sync_failures").c_str(), str(st, "watch").c_str(),
                str(st, "pushes").c_str(), str(st, "scout").c_str());
  out += line;
  // What keeps this node from following the brood exactly, when something does.
  if (const auto skew = num(st, "clock_skew_ms"); skew != 0) {
    std::snprintf(line, sizeof line, "CLOCK: %llds %s the scout's; signed requests are refused (set the time)\n",
                  static_cast<long long>(std::llabs(skew) / 1000), skew > 0 ? "ahead of" : "behind");
    out += line;
  }
  if (const auto behind = num(st, "kv_behind_since_ms"); behind > 0) {
    std::snprintf(line, sizeof line, "KEY: behind on the brood key since %s (its _k not read yet)\n",
                  age(behind, now).c_str());
    out += line;
  }
  auto listed = [&](const char* key) {
    std::string ids;
    if (const auto* a = st.find(key); a && a->as_array())
      for (auto& x : *a->as_array())
        if (x.as_string()) ids += (ids.empty() ? "" : ",") + *x.as_string();
    return ids;
  };
  if (auto ex = listed("excluded"); !ex.empty()) out += "liveness: excluded " + ex + "\n";
  if (auto kept = listed("kept_alive"); !kept.empty()) out += "liveness: listed down, kept (live session) " + kept + "\n";
  if (auto dup = listed("duplicate_ip"); !dup.empty()) out += "left out, address held by another node: " + dup + "\n";
  if (auto refused = str(st, "liveness_refused"); refused != "-") out += "liveness: " + refused + "\n";
  out += "\nPEER        IP               ENDPOINT                   HANDSHAKE   RX        TX\n";
  if (const auto* peers = st.find("peers"); peers && peers->as_array())
    for (auto& p : *peers->as_array()) {
      std::snprintf(line, sizeof line, "%-11s %-16s %-26s %-11s %-9s %s\n", str(p, "id").c_str(), str(p, "ip").c_str(),
                    str(p, "endpoint").c_str(), age(num(p, "last_handshake_ms"), now).c_str(),
                    str(p, "rx_bytes").c_str(), str(p, "tx_bytes").c_str());
      out += line;
    }
  if (const auto* vlans = st.find("vlans"); vlans && vlans->as_array() && !vlans->as_array()->empty()) {
    out += "\nVLAN      BRIDGE      IP                  REMOTE VTEPS                      MACS\n";
    for (auto& v : *vlans->as_array()) {
      std::string vteps;
      if (const auto* r = v.find("remote_vteps"); r && r->as_array())
        for (auto& x : *r->as_array())
          if (x.as_string()) vteps += (vteps.empty() ? "" : ",") + *x.as_string();
      std::snprintf(line, sizeof line, "%-9s %-11s %-19s %-33s %s\n", str(v, "vni").c_str(), str(v, "bridge").c_str(),
                    str(v, "ip").c_str(), vteps.empty() ? "-" : vteps.c_str(), str(v, "remote_macs").c_str());
      out += line;
    }
  }
  if (const auto* problems = st.find("vlan_problems"); problems && problems->as_array())
    for (auto& p : *problems->as_array())
      if (p.as_string()) out += "vlan: " + *p.as_string() + "\n";
  if (const auto* frr = st.find("frr"); frr && frr->is_object()) {
    out += "\nfrr " + str(*frr, "state") + "\n";
    if (const auto* sessions = frr->find("sessions"); sessions && sessions->as_array() && !sessions->as_array()->empty()) {
      out += "SESSION          BGP          BFD    PREFIXES\n";
      for (auto& x : *sessions->as_array()) {
        std::snprintf(line, sizeof line, "%-16s %-12s %-6s %s\n", str(x, "peer").c_str(), str(x, "bgp").c_str(),
                      str(x, "bfd").c_str(), str(x, "prefixes").c_str());
        out += line;
      }
    }
  }
  if (const auto* errors = st.find("errors"); errors && errors->as_array() && !errors->as_array()->empty()) {
    out += "\nrecent errors:\n";
    for (auto& e : *errors->as_array())
      if (e.as_string()) out += "  " + *e.as_string() + "\n";
  }
  return out;
}

}  // namespace brood::agent
