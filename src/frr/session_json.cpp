// frr sessions: FRR's JSON answers → session values. Pure, so that it is fuzzed alone.
#include <brood/frr/sessions.hpp>

#include <brood/json/value.hpp>

#include <algorithm>

namespace brood::frr {

rt::result<std::vector<session>> parse_sessions(std::string_view bgp_summary_json, std::string_view bfd_peers_json) {
  auto bgp = json::parse(bgp_summary_json);
  auto bfd = json::parse(bfd_peers_json);
  if (!bgp || !bgp->is_object() || !bfd || !bfd->is_array()) return std::errc::bad_message;
  std::vector<session> out;
  // No BGP instance, or no EVPN neighbour yet: FRR prints {} (no "peers").
  if (const auto* peers = bgp->find("peers")) {
    const auto* obj = peers->as_object();
    if (!obj) return std::errc::bad_message;
    for (std::size_t i = 0; i < obj->size(); ++i) {
      const auto& p = obj->values[i];
      const auto* state = p.find("state");
      if (!state || !state->as_string()) return std::errc::bad_message;
      session s;
      s.peer = obj->keys[i];
      s.bgp = *state->as_string();
      if (const auto* n = p.find("pfxRcd"); n && n->as_int()) s.prefixes = *n->as_int();
      out.push_back(std::move(s));
    }
  }
  for (auto& b : *bfd->as_array()) {
    const auto* peer = b.find("peer");
    const auto* status = b.find("status");
    if (!peer || !peer->as_string() || !status || !status->as_string()) return std::errc::bad_message;
    for (auto& s : out)
      if (s.peer == *peer->as_string()) s.bfd = *status->as_string();
  }
  std::sort(out.begin(), out.end(), [](const session& a, const session& b) { return a.peer < b.peer; });
  return out;
}

}  // namespace brood::frr
