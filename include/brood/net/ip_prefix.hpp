// ip_prefix: an IPv4 or IPv6 network prefix (value type) — WireGuard allowed IPs, interface
// addresses with their prefix length, routes.
#pragma once

#include <brood/rt/result.hpp>

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace brood::net {

struct ip_prefix {
  int family = AF_INET;                // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> addr{}; // network byte order; the first 4 bytes for IPv4
  std::uint8_t length = 32;            // prefix length

  /// "10.1.2.3/32", "2001:db8::/64"; without "/n" a host prefix (/32 or /128). Bits past the
  /// length are kept: "10.1.2.3/24" is an interface address, not only a network.
  static rt::result<ip_prefix> parse(std::string_view text);
  /// An address alone ("10.1.2.3", "2001:db8::1"), as a host prefix; "/n" is refused.
  static rt::result<ip_prefix> parse_address(std::string_view text);
  std::size_t addr_size() const noexcept { return family == AF_INET6 ? 16 : 4; }
  std::uint8_t max_length() const noexcept { return family == AF_INET6 ? 128 : 32; }
  std::string address_string() const;  // without the length
  std::string to_string() const;        // with it

  /// The network: bits past the length cleared ("10.1.2.3/24" → "10.1.2.0/24").
  ip_prefix network() const noexcept;
  /// No bits set past the length: a network as a route or a subnet is written.
  bool is_network() const noexcept { return network() == *this; }
  /// `a` (an address or a longer prefix) of the same family lies inside this prefix.
  bool contains(const ip_prefix& a) const noexcept;
  /// As an interface address, one a host may hold: not the network address and, for IPv4, not
  /// the broadcast address of its prefix (any address of a /31, /32, /127 or /128).
  bool is_host_address() const noexcept;
  friend bool operator==(const ip_prefix&, const ip_prefix&) = default;
  friend auto operator<=>(const ip_prefix&, const ip_prefix&) = default;
};

}  // namespace brood::net
