// stun_client: Binding transactions over UDP (RFC 8489 §6.2.1) and what a node learns from them
// — its server-reflexive addresses over IPv4 and IPv6 (asked in parallel) and whether its NAT
// maps one local port to one public port whoever it talks to (RFC 5780 §4.3), which is what
// lets WireGuard peers reach it at the address STUN saw.
#pragma once

#include <brood/net/socket_address.hpp>
#include <brood/net/udp.hpp>
#include <brood/rt/task.hpp>
#include <brood/stun/message.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace brood::stun {

struct binding_options {
  /// First retransmission timeout; it doubles after each transmission (RFC 8489 §6.2.1).
  std::chrono::milliseconds rto{500};
  /// Transmissions at most (Rc).
  unsigned transmissions = 7;
  /// The whole transaction's deadline, retransmissions included (RFC 8489's Rm wait is cut to it).
  std::chrono::milliseconds deadline{3000};
};

struct binding {
  net::socket_address server;                       // where the request went
  net::socket_address reflexive;                    // where the server saw it come from
  std::optional<net::socket_address> other_address; // the server's RFC 5780 alternate address
  std::chrono::microseconds rtt{0};  // from the last transmission to the answer
  unsigned transmissions = 0;
};

/// One Binding transaction on `sock` (unconnected) with `server`: retransmits on the RFC's
/// schedule until a matching answer comes or the deadline passes (std::errc::timed_out).
/// Datagrams that are not the answer (another sender, another transaction id, garbage) are
/// dropped. One transaction at a time per socket. An error response is error::error_response.
rt::task<result<binding>> bind_once(net::udp_socket& sock, const net::socket_address& server,
                                    const binding_options& o = {});

enum class mapping {
  unknown,               // fewer than two servers answered
  endpoint_independent,  // the same public address:port towards every server (RFC 5780 §4.3)
  endpoint_dependent,    // a different one per server: peers cannot reach this node at it
};
const char* to_string(mapping m) noexcept;

/// What one address family found.
struct family_report {
  int family = 0;                                // AF_INET or AF_INET6
  std::vector<binding> bindings;                 // answers, in the order asked
  std::vector<std::pair<net::socket_address, std::error_code>> failures;
  mapping behaviour = mapping::unknown;
  /// The reflexive address (of the first answer), if any server answered.
  std::optional<net::socket_address> reflexive() const;
};

struct discovery {
  family_report v4, v6;
  /// The addresses peers should try, with `port` (the WireGuard listen port): each family's
  /// reflexive address, IPv4 first. Port-preserving NATs keep the listen port; others need a
  /// static endpoint (BROOD_ENDPOINT).
  std::vector<net::socket_address> endpoints(std::uint16_t port) const;
};

/// Asks `servers` (all of `sock`'s family) one after another from `sock`, so that their answers
/// compare one local port's mappings. With a single server that names an OTHER-ADDRESS of the
/// same family, that address is asked as the second server, so one RFC 5780 server is enough
/// to tell the mapping behaviour.
rt::task<family_report> probe(net::udp_socket& sock, int family, std::vector<net::socket_address> servers,
                              binding_options o = {});

/// probe() with a fresh socket per address family, both families at once.
rt::task<discovery> discover(std::vector<net::socket_address> servers, binding_options o = {});

}  // namespace brood::stun
