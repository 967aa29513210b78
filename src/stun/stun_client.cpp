// Binding transactions with retransmission, and per-family discovery of reflexive addresses and
// the NAT's mapping behaviour.
#include <brood/stun/stun_client.hpp>

#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>

#include <sys/random.h>

#include <algorithm>
#include <array>

namespace brood::stun {

namespace {

transaction_id new_tid() {
  transaction_id t{};
  std::size_t got = 0;
  while (got < t.size()) {
    auto n = ::getrandom(t.data() + got, t.size() - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
  }
  return t;
}

}  // namespace

rt::task<result<binding>> bind_once(net::udp_socket& sock, const net::socket_address& server,
                                    const binding_options& o) {
  const auto tid = new_tid();
  const auto request = binding_request(tid);
  const auto start = rt::clock::now();
  const auto deadline = start + o.deadline;
  auto rto = std::chrono::duration_cast<rt::clock::duration>(o.rto);
  std::array<std::byte, 1500> buf;
  binding b;
  b.server = server;
  auto sent_at = start;
  for (unsigned tx = 0; tx < std::max(1u, o.transmissions) && rt::clock::now() < deadline; ++tx) {
    sent_at = rt::clock::now();
    auto s = co_await sock.send_to(std::as_bytes(std::span(request)), server, rt::io_options{deadline});
    if (!s) co_return s.error();
    b.transmissions = tx + 1;
    // The last transmission waits until the deadline (RFC 8489's Rm × RTO, cut to it).
    const bool last = tx + 1 == std::max(1u, o.transmissions);
    const auto wait_until = last ? deadline : std::min(deadline, sent_at + rto);
    rto *= 2;
    while (rt::clock::now() < wait_until) {
      net::socket_address from;
      auto n = co_await sock.recv_from(std::span(buf), from, rt::io_options{wait_until});
      if (!n) {
        if (n.error() == std::errc::timed_out) break;
        if (n.error() == std::errc::message_size) continue;  // too long to be our answer
        // An ICMP port unreachable from an earlier datagram surfaces here as ECONNREFUSED on
        // some kernels; the server may still answer a retransmission.
        if (n.error() == std::errc::connection_refused) continue;
        co_return n.error();
      }
      if (!(from == server)) continue;  // brood asks each address itself: the answer comes from it
      auto m = parse(std::span(reinterpret_cast<const std::uint8_t*>(buf.data()), *n));
      if (!m || m->tid != tid) continue;  // garbage or another transaction's: keep waiting
      auto reflexive = binding_answer(*m);
      if (!reflexive) co_return reflexive.error();
      b.reflexive = *reflexive;
      b.other_address = m->other_address;
      b.rtt = std::chrono::duration_cast<std::chrono::microseconds>(rt::clock::now() - sent_at);
      co_return b;
    }
  }
  co_return std::errc::timed_out;
}

const char* to_string(mapping m) noexcept {
  switch (m) {
    case mapping::unknown: return "unknown";
    case mapping::endpoint_independent: return "endpoint-independent";
    case mapping::endpoint_dependent: return "endpoint-dependent";
  }
  return "unknown";
}

std::optional<net::socket_address> family_report::reflexive() const {
  if (bindings.empty()) return std::nullopt;
  return bindings.front().reflexive;
}

std::vector<net::socket_address> discovery::endpoints(std::uint16_t port) const {
  std::vector<net::socket_address> out;
  for (const auto* f : {&v4, &v6})
    if (auto r = f->reflexive()) {
      r->set_port(port);
      out.push_back(*r);
    }
  return out;
}

rt::task<family_report> probe(net::udp_socket& sock, int family, std::vector<net::socket_address> servers,
                              binding_options o) {
  family_report out;
  out.family = family;
  for (std::size_t i = 0; i < servers.size(); ++i) {
    auto b = co_await bind_once(sock, servers[i], o);
    if (!b) {
      out.failures.emplace_back(servers[i], b.error());
      continue;
    }
    if (servers.size() == 1 && b->other_address && b->other_address->family() == family)
      servers.push_back(*b->other_address);
    out.bindings.push_back(std::move(*b));
  }
  if (out.bindings.size() >= 2) {
    const bool same = std::all_of(out.bindings.begin(), out.bindings.end(),
                                  [&](const binding& x) { return x.reflexive == out.bindings.front().reflexive; });
    out.behaviour = same ? mapping::endpoint_independent : mapping::endpoint_dependent;
  }
  co_return out;
}

namespace {

rt::task<family_report> discover_family(int family, std::vector<net::socket_address> servers, binding_options o) {
  family_report out;
  out.family = family;
  if (servers.empty()) co_return out;
  auto sock = net::udp_socket::bind(family == AF_INET ? net::socket_address::ipv4_any(0)
                                                      : net::socket_address::ipv6_any(0));
  if (!sock) {
    for (auto& s : servers) out.failures.emplace_back(s, sock.error());
    co_return out;
  }
  out = co_await probe(*sock, family, std::move(servers), o);
  out.family = family;
  co_return out;
}

}  // namespace

rt::task<discovery> discover(std::vector<net::socket_address> servers, binding_options o) {
  std::vector<net::socket_address> v4, v6;
  for (auto& s : servers) (s.family() == AF_INET6 ? v6 : v4).push_back(s);
  std::vector<rt::task<family_report>> families;
  families.push_back(discover_family(AF_INET, std::move(v4), o));
  families.push_back(discover_family(AF_INET6, std::move(v6), o));
  auto reports = co_await rt::when_all(std::move(families));
  discovery d;
  d.v4 = std::move(reports[0]);
  d.v6 = std::move(reports[1]);
  co_return d;
}

}  // namespace brood::stun
