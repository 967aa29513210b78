// client_key: who a remote address is, for per-client limits (the API's request rates, the
// server's connection caps): an IPv4 address, or an IPv6 address's /64 (one host holds a whole
// /64). An IPv4 client of a dual-stack listener arrives as ::ffff:a.b.c.d and counts as a.b.c.d,
// not as the /64 every IPv4 client would share.
#pragma once

#include <string>
#include <string_view>

namespace brood::net {

/// The address part of an "ip:port" / "[ip]:port" remote address.
std::string_view client_of(std::string_view remote) noexcept;
/// The key of a remote address: "192.0.2.1", "2001:db8:1:2::/64"; anything else as it is.
std::string client_key(std::string_view remote);

}  // namespace brood::net
