// make_plan: view → WireGuard device, with the liveness, duplicate-address and endpoint rules.
#include <brood/agent/peer_plan.hpp>

#include <brood/crypto/identity.hpp>

#include <algorithm>
#include <cmath>
#include <map>

namespace brood::agent {

namespace {
constexpr std::int64_t session_ms = 180'000;  // WireGuard's REJECT_AFTER_TIME

bool session_alive(const wg::peer* now, std::int64_t now_ms) {
  return now && now->last_handshake_ns > 0 && now_ms - now->last_handshake_ns / 1'000'000 < session_ms;
}

/// The device's peer for node `n`, if any.
const wg::peer* on_device(const plan_input& in, const records::node_record& n) {
  auto key = crypto::wireguard_public_key(n.pk);
  if (!key || !in.current) return nullptr;
  wg::key k;
  std::copy(key->begin(), key->end(), k.begin());
  return in.current->find(k);
}
}  // namespace

plan make_plan(const plan_input& in) {
  plan out;
  out.device.private_key = in.private_key;
  out.device.listen_port = in.listen_port;
  const records::view& v = *in.view;
  if (!v.meta) {
    if (!in.view_complete && in.current) out.device.peers = in.current->peers;  // keep all
    for (auto& have : out.device.peers) {
      have.last_handshake_ns = 0;
      have.rx_bytes = have.tx_bytes = 0;
      out.peers.push_back({"", have.allowed_ips.empty() ? "" : have.allowed_ips.front().address_string(), {}});
    }
    return out;
  }
  const std::int64_t fresh_ms = 3 * static_cast<std::int64_t>(v.meta->keepalive) * 1000;
  const auto slash = v.meta->subnet.find('/');
  const std::string length = slash == std::string::npos ? "32" : v.meta->subnet.substr(slash + 1);

  // One holder per overlay address: the lowest pk (a rule every node applies alike).
  std::map<std::string, const records::node_record*> holder;
  for (const auto* n : v.nodes())
    if (auto [it, fresh] = holder.emplace(n->ip, n); !fresh && n->pk < it->second->pk) it->second = n;

  // Liveness: who the evidence lists, less those this node has a live session with; and
  // nobody at all past the cap.
  std::vector<const records::node_record*> others;
  std::vector<std::string> down;
  for (const auto* n : v.nodes()) {
    if (n->pk == in.self) continue;
    others.push_back(n);
    const auto id = crypto::id10(n->pk);
    if (!v.judged_down(id, in.now_ms, fresh_ms, v.meta->scouts)) continue;
    if (session_alive(on_device(in, *n), in.now_ms))
      out.kept_alive.push_back(id);
    else
      down.push_back(id);
  }
  const auto cap = std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(others.size() * max_excluded_fraction)));
  if (down.size() > cap) {
    out.liveness_refused = std::to_string(down.size()) + " of " + std::to_string(others.size()) +
                           " peers listed down, more than liveness may exclude at once (" + std::to_string(cap) +
                           "): excluding none";
    down.clear();
  }

  for (const auto* n : others) {
    const auto id = crypto::id10(n->pk);
    if (std::find(down.begin(), down.end(), id) != down.end()) {
      out.excluded.push_back(id);
      continue;
    }
    if (holder.at(n->ip) != n) {
      out.duplicate_ip.push_back(id);
      continue;
    }
    auto key = crypto::wireguard_public_key(n->pk);
    auto ip = net::ip_prefix::parse(n->ip);
    if (!key || !ip || ip->family != AF_INET) {
      out.unusable.push_back(id);
      continue;
    }
    wg::peer p;
    std::copy(key->begin(), key->end(), p.public_key.begin());
    p.allowed_ips = {*ip};
    p.keepalive = in.keepalive;
    std::vector<net::socket_address> candidates;
    for (auto& e : n->endpoints)
      if (auto a = net::socket_address::parse(e)) candidates.push_back(*a);
    const wg::peer* now = in.current ? in.current->find(p.public_key) : nullptr;
    if (now && now->endpoint) {
      for (auto& c : candidates)
        if (c == *now->endpoint) p.endpoint = c;  // it roamed to one it announced: keep it
      const std::vector<std::string>* before = nullptr;
      if (in.announced_before)
        if (auto it = in.announced_before->find(id); it != in.announced_before->end()) before = &it->second;
      if (!p.endpoint && session_alive(now, in.now_ms) && before && *before == n->endpoints) p.endpoint = now->endpoint;
    }
    if (!p.endpoint && !candidates.empty()) p.endpoint = candidates.front();
    out.device.peers.push_back(std::move(p));
    out.peers.push_back({id, n->ip, n->endpoints});
  }
  for (const auto* n : v.nodes())
    if (n->pk == in.self) {
      if (auto a = net::ip_prefix::parse(n->ip + "/" + length)) out.address = *a;
    }
  if (!in.view_complete && in.current) {
    // Not yet read the whole brood: what the device holds beyond the view stays.
    for (auto& have : in.current->peers) {
      if (out.device.find(have.public_key)) continue;
      wg::peer keep = have;
      keep.last_handshake_ns = 0;
      keep.rx_bytes = keep.tx_bytes = 0;
      out.device.peers.push_back(std::move(keep));
      std::string ip = have.allowed_ips.empty() ? "" : have.allowed_ips.front().address_string();
      out.peers.push_back({"", std::move(ip), {}});
    }
  }
  return out;
}

}  // namespace brood::agent
