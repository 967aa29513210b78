// mesh: the WireGuard interface — created when missing, peers changed by difference, link state —
// and the times at which each peer and endpoint was put in place.
#include <brood/agent/mesh.hpp>

#include <brood/netlink/address.hpp>
#include <brood/rt/process.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/wall_clock.hpp>
#include <brood/rt/with_timeout.hpp>

#include <sys/stat.h>

#include <csignal>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace brood::agent {

mesh::mesh(const config& c, std::unique_ptr<wg::backend> b) : _c(c), _b(std::move(b)) {}

rt::task<rt::result<void>> mesh::create_interface() {
  ++_restores;
  if (_b->kind() == "kernel") co_return co_await netlink::create_link(_c.wg_interface, "wireguard");
  // wireguard-go daemonizes: its first process exits once the interface and socket exist. It
  // outlives this agent on purpose, so that a restarted agent finds the mesh still up.
  rt::process_options o;
  o.in = o.out = o.err = rt::process_options::stdio::null;  // its banner, and then its log
  const std::vector<std::string> argv{_c.wireguard_go, _c.wg_interface};
  auto p = rt::process::spawn(argv, o);
  if (!p) co_return p.error();
  auto st = co_await rt::with_timeout(std::chrono::seconds(5), p->wait());
  if (!st) {
    (void)p->kill(SIGKILL);  // a wireguard-go that never daemonized; reaped when `p` goes
    co_return st.error();
  }
  if (!st->success()) co_return std::errc::no_such_device;
  // The UAPI socket appears as the daemon starts listening: wait for it (bounded).
  const std::string sock = _c.uapi_dir + "/" + _c.wg_interface + ".sock";
  for (int i = 0; i < 300; ++i) {
    struct stat sb{};
    if (::stat(sock.c_str(), &sb) == 0) co_return rt::result<void>{};
    (void)co_await rt::sleep_for(std::chrono::milliseconds(10));
  }
  co_return std::errc::timed_out;
}

rt::task<rt::result<wg::device>> mesh::device() {
  auto d = co_await _b->get();
  if (d || d.error() != std::errc::no_such_device) co_return d;
  // Missing: create it, but after a failure not more often than a doubling backoff allows.
  const auto now = rt::unix_ms();
  if (now < _next_create_ms) co_return std::errc::no_such_device;
  std::fprintf(stderr, "brood-agent: %s is missing: creating it (%.*s)\n", _c.wg_interface.c_str(),
               static_cast<int>(_b->kind().size()), _b->kind().data());
  auto made = co_await create_interface();
  if (!made) {
    ++_create_failures;
    _next_create_ms = now + std::min<std::int64_t>(30'000, 500LL << std::min(_create_failures, 6u));
    co_return made.error();
  }
  _create_failures = 0;
  _next_create_ms = 0;
  _link_dirty = true;
  co_return co_await _b->get();
}

rt::task<rt::result<bool>> mesh::apply(const wg::device& current, const plan& p) {
  const auto change = wg::diff(current, p.device);
  bool changed = !change.empty();
  if (changed) {
    auto r = co_await _b->apply(change);
    if (!r) co_return r.error();
    ++_changes;
  }
  // The interface: overlay address (once known), MTU, up — read and set only when something may
  // have moved (a link or address event, a new interface, a new address in the plan), not on
  // every check of the device.
  if (_link_dirty || p.address != _link_address) {
    auto link = co_await netlink::get_link(_c.wg_interface);
    if (!link) co_return link.error();
    std::vector<net::ip_prefix> wanted;
    if (p.address) wanted.push_back(*p.address);
    auto l = co_await netlink::converge_link(link->index, wanted, _c.wg_mtu);
    if (!l) co_return l.error();
    changed = changed || *l;
    _link_dirty = false;
    _link_address = p.address;
  }

  // What is in place now, and since when.
  const auto now = rt::unix_ms();
  std::map<std::string, peer_state> next;
  for (std::size_t i = 0; i < p.peers.size(); ++i) {
    const auto& want = p.device.peers[i];
    peer_state s;
    // A peer kept from the device before the first complete read has no id yet: its address.
    const std::string key = p.peers[i].id10.empty() ? "?" + p.peers[i].ip : p.peers[i].id10;
    if (auto it = _peers.find(key); it != _peers.end()) s = it->second;
    else s.since_ms = now;
    s.id10 = key;
    s.ip = p.peers[i].ip;
    const wg::peer* have = current.find(want.public_key);
    const bool endpoint_set = std::any_of(change.set_peers.begin(), change.set_peers.end(), [&](const wg::peer& x) {
      return x.public_key == want.public_key && x.endpoint && (!have || have->endpoint != x.endpoint);
    });
    if (endpoint_set || s.endpoint_since_ms == 0) s.endpoint_since_ms = now;
    if (want.endpoint) s.endpoint = want.endpoint->to_string();
    else if (have && have->endpoint) s.endpoint = have->endpoint->to_string();
    if (have) {
      s.last_handshake_ms = have->last_handshake_ns / 1'000'000;
      s.rx_bytes = have->rx_bytes;
      s.tx_bytes = have->tx_bytes;
    }
    next.emplace(key, std::move(s));
    if (!p.peers[i].id10.empty()) _announced[key] = p.peers[i].announced;
  }
  for (auto& [id, s] : _peers)
    if (!next.count(id)) {
      _removed.push_back({id, now});
      if (_removed.size() > 256) _removed.pop_front();
      _announced.erase(id);
    }
  _peers = std::move(next);
  co_return changed;
}

void mesh::describe(json::writer& w) const {
  w.key("backend").string(std::string(backend_kind()));
  w.key("changes").number(static_cast<std::int64_t>(_changes));
  w.key("interface_restores").number(static_cast<std::int64_t>(_restores));
  w.key("peers").begin_array();
  for (auto& [id, p] : _peers)
    w.begin_object()
        .key("id").string(id)
        .key("ip").string(p.ip)
        .key("endpoint").string(p.endpoint)
        .key("since_ms").number(p.since_ms)
        .key("endpoint_since_ms").number(p.endpoint_since_ms)
        .key("last_handshake_ms").number(p.last_handshake_ms)
        .key("rx_bytes").number(static_cast<std::int64_t>(p.rx_bytes))
        .key("tx_bytes").number(static_cast<std::int64_t>(p.tx_bytes))
        .end_object();
  w.end_array().key("removed").begin_array();
  for (auto& r : _removed) w.begin_object().key("id").string(r.id10).key("at_ms").number(r.at_ms).end_object();
  w.end_array();
}

}  // namespace brood::agent
