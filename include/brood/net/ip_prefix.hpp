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
  std::size_t addr_size() const noexcept { return family == AF_INET6 ? 16 : 4; }
  std::uint8_t max_length() const noexcept { return family == AF_INET6 ? 128 : 32; }
  std::string address_string() const;  // without the length
  std::string to_string() const;        // with it
  friend bool operator==(const ip_prefix&, const ip_prefix&) = default;
  friend auto operator<=>(const ip_prefix&, const ip_prefix&) = default;
};

}  // namespace brood::net
